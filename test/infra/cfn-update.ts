import { resourceSpec, type ResourceJson, type TemplateJson } from './cfn-spec';

/**
 * A model of what CloudFormation does when it creates or updates a stack, precise enough to run the custom
 * resources of two synthesized templates the way a deploy would:
 *
 * - a logical id only in the new template is created; one only in the old template is deleted in the
 *   cleanup phase, after every create and update, with its old properties;
 * - a resource in both whose (resolved) properties differ is updated: in place, or replaced when a changed
 *   property requires replacement (`causesReplacement` in the resource specification) or its type
 *   changed. A replacement creates the new physical resource first; the old one is deleted at cleanup;
 * - a custom resource in both whose properties differ gets an Update request; when its answer carries
 *   another physical id, CloudFormation takes that as a replacement and sends the old physical id a Delete
 *   at cleanup;
 * - references resolve to the physical ids of the deployment they belong to, so replacing a resource
 *   changes the properties of everything that refers to it.
 */

/** A custom resource request, as CloudFormation sends it to the provider. */
export interface CustomResourceRequest {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly LogicalResourceId: string;
  readonly ResourceType: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: Record<string, unknown>;
  readonly OldResourceProperties?: Record<string, unknown>;
}

export interface Providers {
  /** Answers a custom resource request with the physical id of the resource. */
  customResource(request: CustomResourceRequest): Promise<string>;
  /** Called when CloudFormation creates (or replaces) a resource of an AWS type. */
  awsResourceCreated?(logicalId: string, resource: ResourceJson, physicalId: string): Promise<void>;
}

/** A deployed stack. */
export interface Deployment {
  readonly template: TemplateJson;
  readonly physicalIds: Readonly<Record<string, string>>;
  readonly generation: number;
}

/** What a deploy did to each logical id (ids in template order; `deleted` in cleanup order). */
export interface UpdatePlan {
  readonly created: string[];
  readonly updated: string[];
  readonly replaced: string[];
  readonly deleted: string[];
  /** The requests sent to custom resources, in order. */
  readonly requests: CustomResourceRequest[];
}

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const PSEUDO_PARAMETERS: Record<string, string> = {
  'AWS::Region': REGION,
  'AWS::AccountId': ACCOUNT,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'KvsUrlVending',
};

const isCustom = (type: string) =>
  type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';

/** The value of `value` once CloudFormation has resolved its intrinsic functions. */
export function resolve(
  value: unknown,
  template: TemplateJson,
  physicalIds: Readonly<Record<string, string>>,
): unknown {
  const again = (inner: unknown) => resolve(inner, template, physicalIds);
  if (Array.isArray(value)) return value.map(again);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1 && (entries[0]![0] === 'Ref' || entries[0]![0].startsWith('Fn::'))) {
    const [name, argument] = entries[0]!;
    switch (name) {
      case 'Ref':
        return reference(argument as string, template, physicalIds);
      case 'Fn::GetAtt': {
        const [id, attribute] = argument as [string, string];
        return attributeOf(id, attribute, physicalIds);
      }
      case 'Fn::Join': {
        const [separator, parts] = argument as [string, unknown[]];
        return (again(parts) as unknown[]).map(String).join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = argument as [number | string, unknown];
        return (again(list) as unknown[])[Number(index)];
      }
      case 'Fn::Split': {
        const [separator, text] = argument as [string, unknown];
        return (again(text) as string).split(separator);
      }
      case 'Fn::Sub': {
        const [text, variables = {}] = (typeof argument === 'string' ? [argument] : argument) as [
          string,
          Record<string, unknown>?,
        ];
        return text.replace(/\$\{([^}]+)\}/g, (_match, name: string) => {
          if (name in variables) return String(again(variables[name]));
          const [id, attribute] = name.split(/\.(.*)/s) as [string, string?];
          return attribute ? attributeOf(id, attribute, physicalIds) : reference(id, template, physicalIds);
        });
      }
      default:
        throw new Error(`The update model cannot resolve ${name}`);
    }
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, again(item)]));
}

function reference(
  id: string,
  template: TemplateJson,
  physicalIds: Readonly<Record<string, string>>,
): string {
  if (id in PSEUDO_PARAMETERS) return PSEUDO_PARAMETERS[id]!;
  const parameter = (template.Parameters ?? {})[id] as { Default?: string } | undefined;
  if (parameter) return parameter.Default ?? '';
  const physicalId = physicalIds[id];
  if (physicalId === undefined) throw new Error(`Ref to ${id}, which has no physical id`);
  return physicalId;
}

function attributeOf(id: string, attribute: string, physicalIds: Readonly<Record<string, string>>): string {
  const physicalId = physicalIds[id];
  if (physicalId === undefined) throw new Error(`Fn::GetAtt of ${id}, which has no physical id`);
  return `arn:aws:model:${REGION}:${ACCOUNT}:${physicalId}/${attribute}`;
}

/** No stack yet: `update(EMPTY, template)` is the first deploy. */
export const EMPTY: Deployment = { template: { Resources: {} }, physicalIds: {}, generation: 0 };

/**
 * Deploys `after` over `before`. `prefix` makes the physical ids of new resources unique (a table name,
 * an API key id), the generation tells them apart across deploys.
 */
export async function update(
  before: Deployment,
  after: TemplateJson,
  providers: Providers,
  prefix: string,
): Promise<{ deployment: Deployment; plan: UpdatePlan }> {
  const generation = before.generation + 1;
  const oldResources = before.template.Resources;
  const newResources = after.Resources;
  const fresh = (id: string) => `${prefix}-${id}-${generation}`;
  const physicalIds: Record<string, string> = {};
  const plan: UpdatePlan = { created: [], updated: [], replaced: [], deleted: [], requests: [] };
  const resolveOld = (value: unknown) => resolve(value, before.template, before.physicalIds);
  const resolveNew = (value: unknown) => resolve(value, after, physicalIds);
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

  // Physical ids of resources of AWS types: kept unless replaced. Replacing one changes what refers to it,
  // which may replace that in turn, so settle the ids first.
  const replacedAws = new Set<string>();
  for (const [id, resource] of Object.entries(newResources)) {
    const old = oldResources[id];
    if (!old || old.Type !== resource.Type) physicalIds[id] = fresh(id);
    else if (!isCustom(resource.Type)) physicalIds[id] = before.physicalIds[id]!;
    if (old && old.Type !== resource.Type) replacedAws.add(id);
  }
  for (let settled = false; !settled;) {
    settled = true;
    for (const [id, resource] of Object.entries(newResources)) {
      const old = oldResources[id];
      if (!old || isCustom(resource.Type) || replacedAws.has(id)) continue;
      const spec = resourceSpec(resource.Type);
      const oldProperties = (resolveOld(old.Properties ?? {}) ?? {}) as Record<string, unknown>;
      const newProperties = (resolveWithPlaceholders(resource.Properties ?? {}) ?? {}) as Record<
        string,
        unknown
      >;
      const changed = [...new Set([...Object.keys(oldProperties), ...Object.keys(newProperties)])].filter(
        (name) => !same(oldProperties[name], newProperties[name]),
      );
      if (changed.some((name) => (spec?.properties[name]?.causesReplacement ?? 'no') !== 'no')) {
        replacedAws.add(id);
        physicalIds[id] = fresh(id);
        settled = false;
      }
    }
  }

  /** Resolution before custom resources have answered: their new physical ids are not known yet. */
  function resolveWithPlaceholders(value: unknown): unknown {
    const known = { ...before.physicalIds, ...physicalIds };
    return resolve(value, after, known);
  }

  for (const [id, resource] of Object.entries(newResources)) {
    const old = oldResources[id];
    if (!isCustom(resource.Type)) {
      if (!old) plan.created.push(id);
      else if (replacedAws.has(id)) plan.replaced.push(id);
      else if (!same(resolveOld(old.Properties ?? {}), resolveNew(resource.Properties ?? {}))) {
        plan.updated.push(id);
      }
      if (!old || replacedAws.has(id)) await providers.awsResourceCreated?.(id, resource, physicalIds[id]!);
      continue;
    }
    const properties = resolveNew(resource.Properties ?? {}) as Record<string, unknown>;
    if (!old || old.Type !== resource.Type) {
      const request: CustomResourceRequest = {
        RequestType: 'Create',
        LogicalResourceId: id,
        ResourceType: resource.Type,
        ResourceProperties: properties,
      };
      plan.requests.push(request);
      physicalIds[id] = await providers.customResource(request);
      plan[old ? 'replaced' : 'created'].push(id);
      continue;
    }
    const oldProperties = resolveOld(old.Properties ?? {}) as Record<string, unknown>;
    const oldPhysicalId = before.physicalIds[id]!;
    if (same(oldProperties, properties)) {
      physicalIds[id] = oldPhysicalId;
      continue;
    }
    const request: CustomResourceRequest = {
      RequestType: 'Update',
      LogicalResourceId: id,
      ResourceType: resource.Type,
      PhysicalResourceId: oldPhysicalId,
      ResourceProperties: properties,
      OldResourceProperties: oldProperties,
    };
    plan.requests.push(request);
    physicalIds[id] = await providers.customResource(request);
    plan[physicalIds[id] === oldPhysicalId ? 'updated' : 'replaced'].push(id);
  }

  // Cleanup: the old physical resources of replacements and the resources gone from the template, each
  // with the properties it was last deployed with, in reverse order of the old template.
  for (const [id, old] of Object.entries(oldResources).reverse()) {
    const resource = newResources[id];
    const gone = !resource;
    const replaced = !gone && (resource.Type !== old.Type || physicalIds[id] !== before.physicalIds[id]);
    if (!gone && !replaced) continue;
    if (gone) plan.deleted.push(id);
    if (isCustom(old.Type)) {
      const request: CustomResourceRequest = {
        RequestType: 'Delete',
        LogicalResourceId: id,
        ResourceType: old.Type,
        PhysicalResourceId: before.physicalIds[id]!,
        ResourceProperties: resolveOld(old.Properties ?? {}) as Record<string, unknown>,
      };
      plan.requests.push(request);
      await providers.customResource(request);
    }
  }
  return { deployment: { template: after, physicalIds, generation }, plan };
}
