import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';

/**
 * The CloudFormation resource specification that `@aws-cdk/aws-service-spec` ships (built from the
 * CloudFormation resource schemas of the registry), and a checker of synthesized templates against it:
 * resource types, property names, required properties, property types and enumerations, and the
 * references between resources.
 *
 * The types below are the part of `@aws-cdk/service-spec-types` this file reads.
 */
export type SpecType =
  | { readonly type: 'string'; readonly allowedValues?: readonly string[] }
  | { readonly type: 'integer'; readonly allowedValues?: readonly number[] }
  | { readonly type: 'number' | 'boolean' | 'json' | 'date-time' | 'null' | 'tag' }
  | { readonly type: 'array' | 'map'; readonly element: SpecType }
  | { readonly type: 'ref'; readonly reference: { readonly $ref: string } }
  | { readonly type: 'union'; readonly types: readonly SpecType[] };

export interface SpecProperty {
  readonly type: SpecType;
  readonly required?: boolean;
  readonly causesReplacement?: 'yes' | 'no' | 'maybe';
  readonly deprecated?: string;
}

export interface SpecResource {
  readonly cloudFormationType: string;
  readonly properties: Readonly<Record<string, SpecProperty>>;
  readonly attributes: Readonly<Record<string, unknown>>;
}

interface SpecTypeDefinition {
  readonly name: string;
  readonly properties: Readonly<Record<string, SpecProperty>>;
}

interface SpecDatabase {
  lookup(
    collection: 'resource',
    index: 'cloudFormationType',
    lookup: 'equals',
    value: string,
  ): readonly SpecResource[];
  get(collection: 'typeDefinition', id: string): SpecTypeDefinition;
}

let database: SpecDatabase | undefined;

/** The specification, loaded once per test file (about half a second). */
function spec(): SpecDatabase {
  database ??= loadAwsServiceSpecSync() as unknown as SpecDatabase;
  return database;
}

/** The specification of a resource type, or undefined when CloudFormation has no such type. */
export function resourceSpec(type: string): SpecResource | undefined {
  const found = spec().lookup('resource', 'cloudFormationType', 'equals', type);
  return found.length === 1 ? found[0] : undefined;
}

/** A CloudFormation template, as `cdk synth` writes it. */
export interface TemplateJson {
  readonly Resources: Readonly<Record<string, ResourceJson>>;
  readonly Outputs?: Readonly<Record<string, Record<string, unknown>>>;
  readonly Parameters?: Readonly<Record<string, unknown>>;
  readonly Conditions?: Readonly<Record<string, unknown>>;
  readonly [section: string]: unknown;
}

export interface ResourceJson {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
  readonly [attribute: string]: unknown;
}

const TEMPLATE_SECTIONS = new Set([
  'AWSTemplateFormatVersion',
  'Description',
  'Metadata',
  'Parameters',
  'Rules',
  'Mappings',
  'Conditions',
  'Transform',
  'Resources',
  'Outputs',
]);
const RESOURCE_ATTRIBUTES = new Set([
  'Type',
  'Properties',
  'DependsOn',
  'Condition',
  'Metadata',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'UpdatePolicy',
  'CreationPolicy',
]);
const DELETION_POLICIES = ['Delete', 'Retain', 'RetainExceptOnCreate', 'Snapshot'];
const UPDATE_REPLACE_POLICIES = ['Delete', 'Retain', 'Snapshot'];
/** Logical ids of resources, outputs, parameters and conditions. */
const LOGICAL_ID = /^[A-Za-z0-9]{1,255}$/;
/** Intrinsic functions that always produce one string, and those that produce a list. */
const STRING_FUNCTIONS = new Set(['Fn::Join', 'Fn::Sub', 'Fn::Base64']);
const LIST_FUNCTIONS = new Set(['Fn::Split', 'Fn::GetAZs', 'Fn::Cidr']);
/**
 * Custom resources have no schema beyond their service token, and CloudFormation keeps no schema for
 * `AWS::CDK::Metadata`, the record of construct usage the CDK CLI adds (version reporting).
 */
const CDK_METADATA = 'AWS::CDK::Metadata';

const isCustomResource = (type: string) =>
  type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';

const kindOf = (value: unknown): string =>
  Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;

/** Checks one template; returns its problems, one line each (`<where>: <what>`), none when it is valid. */
export function checkTemplate(template: TemplateJson): string[] {
  const problems: string[] = [];
  const report = (where: string, what: string) => problems.push(`${where}: ${what}`);
  const resources = template.Resources ?? {};
  const names = {
    resources: new Set(Object.keys(resources)),
    parameters: new Set(Object.keys(template.Parameters ?? {})),
    conditions: new Set(Object.keys(template.Conditions ?? {})),
  };

  for (const section of Object.keys(template)) {
    if (!TEMPLATE_SECTIONS.has(section)) report(section, 'unknown template section');
  }

  /** Checks the targets of Ref and Fn::GetAtt anywhere in `value`. */
  const checkReferences = (value: unknown, where: string): void => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => checkReferences(item, `${where}.${index}`));
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [name, argument] = entries[0]!;
      if (name === 'Ref') {
        const target = argument as string;
        if (!target.startsWith('AWS::') && !names.resources.has(target) && !names.parameters.has(target)) {
          report(where, `Ref to ${target}, which the template does not define`);
        }
        return;
      }
      if (name === 'Fn::GetAtt') {
        const [target, attribute] = (
          typeof argument === 'string' ? argument.split(/\.(.*)/s) : argument
        ) as string[];
        const resource = resources[target!];
        if (!resource) {
          report(where, `Fn::GetAtt of ${target}, which the template does not define`);
        } else if (!isCustomResource(resource.Type)) {
          const attributes = resourceSpec(resource.Type)?.attributes ?? {};
          if (!(attribute! in attributes)) {
            report(where, `Fn::GetAtt of ${target}.${attribute}: ${resource.Type} has no such attribute`);
          }
        }
        return;
      }
      if (name === 'Fn::If') {
        const condition = (argument as unknown[])[0] as string;
        if (!names.conditions.has(condition)) report(where, `Fn::If on undefined condition ${condition}`);
      }
    }
    for (const [key, item] of entries) checkReferences(item, `${where}.${key}`);
  };

  /** An intrinsic function call (`{ "Ref": ... }`, `{ "Fn::...": ... }`), or undefined. */
  const intrinsic = (value: unknown): [string, unknown] | undefined => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length !== 1) return undefined;
    const [name, argument] = entries[0]!;
    return name === 'Ref' || name.startsWith('Fn::') ? [name, argument] : undefined;
  };

  /** Problems of `value` against `type`, as [path, message] pairs relative to the value. */
  const checkValue = (value: unknown, type: SpecType, path: string, out: string[]): void => {
    const fail = (message: string): void => {
      out.push(`${path}: ${message}`);
    };
    const call = intrinsic(value);
    if (call) {
      const [name, argument] = call;
      if (name === 'Fn::If') {
        const [, whenTrue, whenFalse] = argument as unknown[];
        for (const branch of [whenTrue, whenFalse]) {
          const noValue = intrinsic(branch)?.[0] === 'Ref' && intrinsic(branch)?.[1] === 'AWS::NoValue';
          if (!noValue) checkValue(branch, type, path, out);
        }
        return;
      }
      const producesString = STRING_FUNCTIONS.has(name);
      const producesList = LIST_FUNCTIONS.has(name);
      if (producesString && ['array', 'map', 'ref', 'tag'].includes(type.type)) {
        fail(`expected ${type.type === 'ref' ? 'an object' : `a ${type.type}`}, got ${name} (a string)`);
      }
      if (producesList && type.type !== 'array' && type.type !== 'json' && type.type !== 'union') {
        fail(`expected a ${type.type}, got ${name} (a list)`);
      }
      return;
    }
    switch (type.type) {
      case 'string':
        if (typeof value !== 'string') return fail(`expected a string, got ${kindOf(value)}`);
        if (type.allowedValues && !type.allowedValues.includes(value)) {
          fail(`${JSON.stringify(value)} is not one of ${type.allowedValues.join(', ')}`);
        }
        return;
      case 'date-time':
        if (typeof value !== 'string') fail(`expected a date-time string, got ${kindOf(value)}`);
        return;
      case 'integer':
      case 'number': {
        // CloudFormation converts numeric strings, as it does for parameters.
        const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
        if (typeof number !== 'number' || Number.isNaN(number)) {
          return fail(
            `expected ${type.type === 'integer' ? 'an integer' : 'a number'}, got ${kindOf(value)}`,
          );
        }
        if (type.type === 'integer' && !Number.isInteger(number))
          return fail(`expected an integer, got ${number}`);
        if (type.type === 'integer' && type.allowedValues && !type.allowedValues.includes(number)) {
          fail(`${number} is not one of ${type.allowedValues.join(', ')}`);
        }
        return;
      }
      case 'boolean':
        if (typeof value !== 'boolean' && value !== 'true' && value !== 'false') {
          fail(`expected a boolean, got ${kindOf(value)}`);
        }
        return;
      case 'json':
        if (typeof value !== 'object' && typeof value !== 'string')
          fail(`expected JSON, got ${kindOf(value)}`);
        return;
      case 'null':
        if (value !== null) fail(`expected null, got ${kindOf(value)}`);
        return;
      case 'tag':
        return checkObject(
          value,
          {
            Key: { type: { type: 'string' }, required: true },
            Value: { type: { type: 'string' }, required: true },
          },
          'a tag',
          path,
          out,
        );
      case 'array':
        if (!Array.isArray(value)) return fail(`expected an array, got ${kindOf(value)}`);
        value.forEach((item, index) => checkValue(item, type.element, `${path}.${index}`, out));
        return;
      case 'map':
        if (typeof value !== 'object' || value === null || Array.isArray(value)) {
          return fail(`expected a map, got ${kindOf(value)}`);
        }
        for (const [key, item] of Object.entries(value))
          checkValue(item, type.element, `${path}.${key}`, out);
        return;
      case 'ref': {
        const definition = spec().get('typeDefinition', type.reference.$ref);
        return checkObject(value, definition.properties, definition.name, path, out);
      }
      case 'union': {
        const attempts = type.types.map((member) => {
          const memberProblems: string[] = [];
          checkValue(value, member, path, memberProblems);
          return memberProblems;
        });
        if (!attempts.some((attempt) => attempt.length === 0)) {
          // The member that came closest says best what is wrong.
          out.push(...attempts.sort((a, b) => a.length - b.length)[0]!);
        }
        return;
      }
    }
  };

  const checkObject = (
    value: unknown,
    properties: Readonly<Record<string, SpecProperty>>,
    what: string,
    path: string,
    out: string[],
  ): void => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      out.push(`${path}: expected ${what} (an object), got ${kindOf(value)}`);
      return;
    }
    const given = value as Record<string, unknown>;
    for (const [name, property] of Object.entries(properties)) {
      if (property.required && !(name in given)) out.push(`${path}.${name}: required by ${what}, missing`);
    }
    for (const [name, item] of Object.entries(given)) {
      const property = properties[name];
      if (!property) {
        out.push(`${path}.${name}: ${what} has no property ${name}`);
        continue;
      }
      checkValue(item, property.type, `${path}.${name}`, out);
    }
  };

  for (const [id, resource] of Object.entries(resources)) {
    if (!LOGICAL_ID.test(id)) report(id, 'a logical id must be 1-255 letters and digits');
    for (const attribute of Object.keys(resource)) {
      if (!RESOURCE_ATTRIBUTES.has(attribute)) report(id, `unknown resource attribute ${attribute}`);
    }
    if (
      resource.DeletionPolicy !== undefined &&
      !DELETION_POLICIES.includes(resource.DeletionPolicy as string)
    ) {
      report(`${id}.DeletionPolicy`, `must be one of ${DELETION_POLICIES.join(', ')}`);
    }
    if (
      resource.UpdateReplacePolicy !== undefined &&
      !UPDATE_REPLACE_POLICIES.includes(resource.UpdateReplacePolicy as string)
    ) {
      report(`${id}.UpdateReplacePolicy`, `must be one of ${UPDATE_REPLACE_POLICIES.join(', ')}`);
    }
    const dependsOn = resource.DependsOn === undefined ? [] : [resource.DependsOn].flat();
    for (const target of dependsOn as string[]) {
      if (!names.resources.has(target))
        report(`${id}.DependsOn`, `${target} is not a resource of the template`);
    }
    if (resource.Condition !== undefined && !names.conditions.has(resource.Condition as string)) {
      report(`${id}.Condition`, `undefined condition ${JSON.stringify(resource.Condition)}`);
    }
    checkReferences(resource.Properties ?? {}, `${id}.Properties`);

    if (resource.Type === CDK_METADATA) continue;
    if (isCustomResource(resource.Type)) {
      const token = resource.Properties?.ServiceToken;
      if (token === undefined)
        report(`${id}.Properties.ServiceToken`, 'required by custom resources, missing');
      else {
        const out: string[] = [];
        checkValue(token, { type: 'string' }, `${id}.Properties.ServiceToken`, out);
        problems.push(...out);
      }
      continue;
    }
    const resourceType = resourceSpec(resource.Type);
    if (!resourceType) {
      report(`${id}.Type`, `${resource.Type} is not a CloudFormation resource type`);
      continue;
    }
    checkObject(
      resource.Properties ?? {},
      resourceType.properties,
      resource.Type,
      `${id}.Properties`,
      problems,
    );
  }

  for (const [id, output] of Object.entries(template.Outputs ?? {})) {
    if (!LOGICAL_ID.test(id)) report(`Outputs.${id}`, 'an output name must be 1-255 letters and digits');
    if (!('Value' in output)) report(`Outputs.${id}`, 'has no Value');
    for (const key of Object.keys(output)) {
      if (!['Description', 'Value', 'Export', 'Condition'].includes(key)) {
        report(`Outputs.${id}`, `unknown output attribute ${key}`);
      }
    }
    checkReferences(output.Value, `Outputs.${id}.Value`);
  }
  return problems;
}
