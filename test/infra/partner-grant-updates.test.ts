import {
  CreateTableCommand,
  DeleteItemCommand,
  PutItemCommand,
  ScanCommand,
  type AttributeValue,
  type CreateTableCommandInput,
  type DeleteItemCommandInput,
  type PutItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { parseGrantRecord, parseStoredGrant } from '../../lambda/adapters/grants/grant-records';
import { startDynalite, type RunningDynalite } from '../admission/support/admission-table';
import type { ResourceJson, TemplateJson } from './cfn-spec';
import {
  EMPTY,
  resolve,
  update,
  type CustomResourceRequest,
  type Deployment,
  type UpdatePlan,
} from './cfn-update';
import { synthApp } from './synth-app';

/**
 * Partner grants are written to the grants table by custom resources at deploy time. These tests
 * synthesize the template before and after a change of the configuration, deploy both in turn the way
 * CloudFormation would (cfn-update.ts) against a DynamoDB-compatible server, and check which resources
 * survive, and that the table then holds exactly the configured grants of every partner.
 */

interface Grant {
  readonly grantId: string;
  readonly streams: string[];
  readonly playbackModes: string[];
  readonly protocols: string[];
  readonly maxExpiresInSeconds: number;
}
interface Partner {
  readonly name: string;
  readonly keyVersion?: number;
  readonly grants: Grant[];
}

const grant = (grantId: string, overrides: Partial<Grant> = {}): Grant => ({
  grantId,
  streams: [`${grantId}-*`],
  playbackModes: ['LIVE'],
  protocols: ['HLS'],
  maxExpiresInSeconds: 300,
  ...overrides,
});
const partner = (name: string, grants: Grant[], keyVersion = 1): Partner => ({ name, keyVersion, grants });

const templates = new Map<string, TemplateJson>();
/** The template `npx cdk synth` would write for these partners (cached: synthesis takes a second). */
function templateFor(partners: Partner[]): TemplateJson {
  const key = JSON.stringify(partners);
  let template = templates.get(key);
  if (!template) {
    const { app, stack } = synthApp({
      overrides: {
        partners: partners.map((p) => ({
          ...p,
          rateLimit: 5,
          burstLimit: 10,
          quota: { limit: 1000, period: 'DAY' },
        })),
      },
    });
    template = app.synth().getStackArtifact(stack.artifactId).template as TemplateJson;
    templates.set(key, template);
  }
  return template;
}

// Each test synthesizes two to four templates (a second or more each on a busy machine).
jest.setTimeout(120_000);

let db: RunningDynalite;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.stop();
});

interface AwsSdkCall {
  readonly service: string;
  readonly action: string;
  readonly parameters: Record<string, unknown>;
  readonly physicalResourceId?: { readonly id?: string };
}

/**
 * The grant writers' provider: AwsCustomResource of aws-cdk-lib makes the SDK call its properties hold
 * for the request type and answers with the call's physical id (or keeps the one it had).
 */
async function awsCustomResource(request: CustomResourceRequest): Promise<string> {
  const text = request.ResourceProperties[request.RequestType];
  const kept = request.PhysicalResourceId ?? request.LogicalResourceId;
  if (typeof text !== 'string') return kept;
  const call = JSON.parse(text) as AwsSdkCall;
  expect(call.service).toBe('DynamoDB');
  if (call.action === 'putItem') {
    await db.admin.send(new PutItemCommand(call.parameters as unknown as PutItemCommandInput));
  } else if (call.action === 'deleteItem') {
    await db.admin.send(new DeleteItemCommand(call.parameters as unknown as DeleteItemCommandInput));
  } else {
    throw new Error(`unexpected call ${call.action}`);
  }
  return call.physicalResourceId?.id ?? kept;
}

/** Tables are created in dynalite with the key schema of the template. */
async function awsResourceCreated(_id: string, resource: ResourceJson, physicalId: string): Promise<void> {
  if (resource.Type !== 'AWS::DynamoDB::Table') return;
  const properties = resource.Properties as Pick<
    CreateTableCommandInput,
    'KeySchema' | 'AttributeDefinitions' | 'GlobalSecondaryIndexes'
  >;
  await db.admin.send(
    new CreateTableCommand({
      TableName: physicalId,
      KeySchema: properties.KeySchema,
      AttributeDefinitions: properties.AttributeDefinitions,
      ...(properties.GlobalSecondaryIndexes
        ? { GlobalSecondaryIndexes: properties.GlobalSecondaryIndexes }
        : {}),
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}

let stacks = 0;
/** A new stack: every test deploys its own, with its own tables. */
function newStack() {
  const prefix = `s${++stacks}`;
  let deployment: Deployment = EMPTY;
  return {
    async deploy(partners: Partner[]): Promise<UpdatePlan> {
      const result = await update(
        deployment,
        templateFor(partners),
        { customResource: awsCustomResource, awsResourceCreated },
        prefix,
      );
      deployment = result.deployment;
      return result.plan;
    },
    get deployment() {
      return deployment;
    },
  };
}

const resourcesOfType = (template: TemplateJson, type: string) =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

/** The logical id of a partner's API key. */
function apiKeyId(template: TemplateJson, name: string): string {
  const keys = resourcesOfType(template, 'AWS::ApiGateway::ApiKey').filter(
    ([, resource]) => resource.Properties?.Description === `API key of partner ${name}`,
  );
  expect(keys).toHaveLength(1);
  return keys[0]![0];
}

/** The record a grant writer puts, with every reference shown as `{<logical id>}`. */
function recordOf(template: TemplateJson, resource: ResourceJson): { principal: string; grantId: string } {
  const symbolic = Object.fromEntries(Object.keys(template.Resources).map((id) => [id, `{${id}}`]));
  const call = JSON.parse(resolve(resource.Properties?.Create, template, symbolic) as string) as AwsSdkCall;
  const item = unmarshall(call.parameters.Item as Record<string, AttributeValue>);
  return { principal: item.principal as string, grantId: item.grantId as string };
}

/** The logical id of the writer of one grant of a partner: the one that puts (key of the partner, grantId). */
function writerId(template: TemplateJson, name: string, grantId: string): string {
  const principal = `partner:{${apiKeyId(template, name)}}`;
  const found = resourcesOfType(template, 'Custom::PartnerGrant').filter(([, resource]) => {
    const record = recordOf(template, resource);
    return record.principal === principal && record.grantId === grantId;
  });
  expect(found).toHaveLength(1);
  return found[0]![0];
}

/** Every item of the deployment's grants table, as the vend function would read it. */
async function storedGrants(deployment: Deployment) {
  const [tableId] = resourcesOfType(deployment.template, 'AWS::DynamoDB::Table').find(([, resource]) =>
    JSON.stringify(resource.Properties?.KeySchema).includes('principal'),
  )!;
  const output = await db.admin.send(new ScanCommand({ TableName: deployment.physicalIds[tableId]! }));
  return (output.Items ?? [])
    .map((item) => {
      // Read as the vend function reads it; every record a deploy writes is marked as the stack's.
      const stored = parseStoredGrant(unmarshall(item));
      expect(stored.metadata.managedBy).toBe('stack');
      return stored.grant;
    })
    .sort((a, b) => `${a.principal}#${a.grantId}`.localeCompare(`${b.principal}#${b.grantId}`));
}

/** What the table must hold: every configured grant of every partner, under its current API key. */
function configuredGrants(deployment: Deployment, partners: Partner[]) {
  return partners
    .flatMap((p) =>
      p.grants.map((g) =>
        parseGrantRecord({
          ...g,
          principal: `partner:${deployment.physicalIds[apiKeyId(deployment.template, p.name)]}`,
        }),
      ),
    )
    .sort((a, b) => `${a.principal}#${a.grantId}`.localeCompare(`${b.principal}#${b.grantId}`));
}

/** The grant writers among the ids of a plan. */
const writers = (deployment: Deployment, ids: string[]) =>
  ids.filter((id) => deployment.template.Resources[id]?.Type === 'Custom::PartnerGrant');

async function deployBoth(before: Partner[], after: Partner[]) {
  const stack = newStack();
  await stack.deploy(before);
  expect(await storedGrants(stack.deployment)).toEqual(configuredGrants(stack.deployment, before));
  const old = stack.deployment;
  const plan = await stack.deploy(after);
  const oldWriters = (ids: string[]) =>
    ids.filter((id) => old.template.Resources[id]?.Type === 'Custom::PartnerGrant');
  return {
    old,
    now: stack.deployment,
    plan,
    changedWriters: {
      created: writers(stack.deployment, plan.created),
      updated: writers(stack.deployment, plan.updated),
      replaced: writers(stack.deployment, plan.replaced),
      deleted: oldWriters(plan.deleted),
    },
    stored: await storedGrants(stack.deployment),
    configured: configuredGrants(stack.deployment, after),
  };
}

const a = grant('site-a');
const b = grant('site-b');
const c = grant('site-c');

describe('changing the partner grants of a deployed stack', () => {
  it('adding a grant writes it and leaves the others alone', async () => {
    const result = await deployBoth([partner('acme', [a, b])], [partner('acme', [a, b, c])]);

    // What the vend function will find: exactly the configured grants.
    expect(result.stored).toEqual(result.configured);

    expect(result.changedWriters).toEqual({
      created: [writerId(result.now.template, 'acme', 'site-c')],
      updated: [],
      replaced: [],
      deleted: [],
    });
    expect(result.stored.map((g) => g.grantId)).toEqual(['site-a', 'site-b', 'site-c']);
  });

  it('removing the first grant deletes that grant only: the second keeps its writer and its record', async () => {
    const result = await deployBoth([partner('acme', [a, b])], [partner('acme', [b])]);

    // What the vend function will find: exactly the configured grants.
    expect(result.stored).toEqual(result.configured);

    expect(result.changedWriters).toEqual({
      created: [],
      updated: [],
      replaced: [],
      deleted: [writerId(result.old.template, 'acme', 'site-a')],
    });
    expect(writerId(result.now.template, 'acme', 'site-b')).toBe(
      writerId(result.old.template, 'acme', 'site-b'),
    );
    expect(result.stored.map((g) => g.grantId)).toEqual(['site-b']);
  });

  it('reordering grants, or partners, changes nothing at all', async () => {
    const result = await deployBoth(
      [partner('acme', [a, b, c]), partner('globex', [a])],
      [partner('globex', [a]), partner('acme', [c, a, b])],
    );

    // What the vend function will find: exactly the configured grants.
    expect(result.stored).toEqual(result.configured);
    expect(result.stored).toHaveLength(4);
    expect(result.plan).toEqual({ created: [], updated: [], replaced: [], deleted: [], requests: [] });
  });

  it('renaming a grant (a new grantId) writes the new record and deletes the old one', async () => {
    const renamed = { ...b, grantId: 'site-b-live' };
    const result = await deployBoth([partner('acme', [a, b])], [partner('acme', [a, renamed])]);

    // What the vend function will find: exactly the configured grants.
    expect(result.stored).toEqual(result.configured);

    expect(result.changedWriters).toEqual({
      created: [writerId(result.now.template, 'acme', 'site-b-live')],
      updated: [],
      replaced: [],
      deleted: [writerId(result.old.template, 'acme', 'site-b')],
    });
    expect(result.stored.map((g) => g.grantId)).toEqual(['site-a', 'site-b-live']);
  });

  it('changing what a grant allows rewrites that record in place, without a cleanup delete', async () => {
    const longer = { ...a, maxExpiresInSeconds: 900, playbackModes: ['LIVE', 'ON_DEMAND'] };
    const result = await deployBoth([partner('acme', [a, b])], [partner('acme', [longer, b])]);

    // What the vend function will find: exactly the configured grants.
    expect(result.stored).toEqual(result.configured);

    expect(result.changedWriters).toEqual({
      created: [],
      updated: [writerId(result.now.template, 'acme', 'site-a')],
      replaced: [],
      deleted: [],
    });
    expect(result.plan.requests.map((request) => request.RequestType)).toEqual(['Update']);
    expect(result.stored.find((g) => g.grantId === 'site-a')?.maxExpiresInSeconds).toBe(900);
  });

  it('rotating the key (keyVersion) replaces the key and moves every grant to the new key id, leaving none under the old one', async () => {
    const result = await deployBoth([partner('acme', [a, b], 1)], [partner('acme', [a, b], 2)]);

    // What the vend function will find: exactly the configured grants.
    expect(result.stored).toEqual(result.configured);

    const oldKey = apiKeyId(result.old.template, 'acme');
    const newKey = apiKeyId(result.now.template, 'acme');
    expect(newKey).not.toBe(oldKey);
    expect(result.plan.deleted).toContain(oldKey);
    expect(result.plan.created).toContain(newKey);
    expect(result.changedWriters).toEqual({
      created: [
        writerId(result.now.template, 'acme', 'site-a'),
        writerId(result.now.template, 'acme', 'site-b'),
      ],
      updated: [],
      replaced: [],
      deleted: [
        writerId(result.old.template, 'acme', 'site-b'),
        writerId(result.old.template, 'acme', 'site-a'),
      ],
    });
    expect(result.stored.map((g) => g.principal)).toEqual([
      `partner:${result.now.physicalIds[newKey]}`,
      `partner:${result.now.physicalIds[newKey]}`,
    ]);
  });

  it('renaming a partner gives it a new key and its grants under that key only', async () => {
    const result = await deployBoth([partner('acme', [a, b])], [partner('acme-video', [a, b])]);

    // What the vend function will find: exactly the configured grants.
    expect(result.stored).toEqual(result.configured);

    expect(result.plan.deleted).toContain(apiKeyId(result.old.template, 'acme'));
    expect(result.plan.created).toContain(apiKeyId(result.now.template, 'acme-video'));
    expect(result.changedWriters.created).toHaveLength(2);
    expect(result.changedWriters.deleted).toHaveLength(2);
  });

  it('removing the first of two partners leaves the second one, its key and its grants untouched', async () => {
    const result = await deployBoth(
      [partner('acme', [a, b]), partner('globex', [a, c])],
      [partner('globex', [a, c])],
    );

    // What the vend function will find: exactly the configured grants.
    expect(result.stored).toEqual(result.configured);

    const globexKey = apiKeyId(result.now.template, 'globex');
    expect(globexKey).toBe(apiKeyId(result.old.template, 'globex'));
    expect(result.now.physicalIds[globexKey]).toBe(result.old.physicalIds[globexKey]);
    expect(result.changedWriters.created).toEqual([]);
    expect(result.changedWriters.updated).toEqual([]);
    expect(result.changedWriters.deleted.sort()).toEqual(
      [
        writerId(result.old.template, 'acme', 'site-a'),
        writerId(result.old.template, 'acme', 'site-b'),
      ].sort(),
    );
  });

  it('never answers an Update of a grant writer with another physical id, so cleanup never deletes the record the update just wrote', async () => {
    const before = [partner('acme', [a, b, c], 1), partner('globex', [b])];
    const steps = [
      [partner('acme', [c, a], 1), partner('globex', [b, a])],
      [partner('acme', [{ ...c, maxExpiresInSeconds: 600 }, a], 2), partner('globex', [a])],
      [partner('globex', [a, { ...b, grantId: 'b2' }]), partner('acme', [a], 2)],
    ];
    const stack = newStack();
    await stack.deploy(before);
    for (const step of steps) {
      const plan = await stack.deploy(step);
      for (const request of plan.requests.filter((r) => r.RequestType === 'Update')) {
        expect(writers(stack.deployment, plan.replaced)).not.toContain(request.LogicalResourceId);
      }
      expect(await storedGrants(stack.deployment)).toEqual(configuredGrants(stack.deployment, step));
    }
  });
});
