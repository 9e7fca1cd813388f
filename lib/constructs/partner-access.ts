import { Annotations, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { marshall } from '@aws-sdk/util-dynamodb';
import { Construct } from 'constructs';
import { STACK_MANAGED } from '../../lambda/contract';
import type { GrantRecord } from '../../lambda/adapters/grants/grant-records';
import { TABLE_KEY_WRITE_ACTIONS, tableKeyStatement, type TableReference } from './grants-table';

/**
 * A grant of a partner: a grant record of the table (`GrantRecord`, validated as one) without
 * `principal` (that is `partner:<apiKeyId>`), and with its `grantId`.
 */
export interface PartnerGrantRecord extends Omit<GrantRecord, 'principal' | 'grantId'> {
  /**
   * Names the grant's record (sort key) and the custom resource that writes it: keep it when editing the
   * grant, so that adding, removing or reordering grants leaves the others alone. Unique within the
   * partner. Changing it deletes the old record and writes a new one.
   */
  readonly grantId: string;
}

export interface Partner {
  /**
   * Letters, digits and dashes; names the key, the usage plan and the output `PartnerKeyId<name>`.
   * Partners must differ in more than dashes and letter case (see `partnerProblems`). Renaming a partner
   * replaces its key: a new value and id, its grants moved to the new id.
   */
  readonly name: string;
  /** Requests per second of the usage plan. */
  readonly rateLimit: number;
  readonly burstLimit: number;
  readonly quota: { readonly limit: number; readonly period: 'DAY' | 'WEEK' | 'MONTH' };
  /**
   * Part of the key's construct id: changing it replaces the API key (a new value and id) and moves
   * the partner's grants to the new id (new records written, those of the old id deleted).
   * @default 1
   */
  readonly keyVersion?: number;
  /**
   * A rotation with overlap: the key of this earlier version keeps working, with the partner's grants,
   * until `until` (RFC 3339), beside the key of `keyVersion`. Its grants are written with `notAfter` at
   * that date at the latest, so the function refuses the old key from then on; the first synth after the
   * date leaves the old key out (the deploy deletes it and its grants) and warns.
   */
  readonly previousKey?: PreviousKey;
  readonly grants: readonly PartnerGrantRecord[];
}

export interface PreviousKey {
  readonly keyVersion: number;
  /** RFC 3339: the old key works until then. */
  readonly until: string;
}

export interface PartnerAccessProps {
  readonly api: apigateway.RestApi;
  readonly grantsTable: TableReference;
  readonly partners: readonly Partner[];
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The time of the synthesis, against which a previous key's `until` is compared.
   * @default - now
   */
  readonly now?: Date;
}

/** Something wrong with a list of partners: where (relative to the list) and what. */
export interface PartnerProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * The part of a partner's name that names its CloudFormation output (`PartnerKeyId<this>`) and shows in
 * the logical ids of its resources: letters and digits only, as CloudFormation requires of those.
 */
export function partnerIdPart(name: string): string {
  return name.replace(/[^a-zA-Z0-9]/g, '');
}

/**
 * What would make two partners, or two grants of one partner, share an id: duplicate names, names equal
 * once normalised (`partnerIdPart`, letter case ignored too, so that no two outputs differ by case
 * alone), and grants without a grantId or with one another grant of the partner has.
 */
export function partnerProblems(
  partners: readonly { readonly name: string; readonly grants: readonly { readonly grantId?: unknown }[] }[],
): PartnerProblem[] {
  const problems: PartnerProblem[] = [];
  const byNormalisedName = new Map<string, string>();
  partners.forEach((partner, index) => {
    const normalised = partnerIdPart(partner.name).toLowerCase();
    const earlier = byNormalisedName.get(normalised);
    if (earlier === partner.name) {
      problems.push({
        path: [],
        message: `duplicate partner name ${partner.name} (partner names must be unique)`,
      });
    } else if (earlier !== undefined) {
      problems.push({
        path: [index, 'name'],
        message:
          `${partner.name} and ${earlier} are one name once normalised (letters and digits, any case: the ` +
          `output PartnerKeyId${partnerIdPart(partner.name)} and the logical ids are made of those); rename one`,
      });
    } else {
      byNormalisedName.set(normalised, partner.name);
    }
    const grantIds = new Set<string>();
    partner.grants.forEach((grant, grantIndex) => {
      const path = [index, 'grants', grantIndex, 'grantId'];
      if (typeof grant.grantId !== 'string' || grant.grantId === '') {
        problems.push({
          path,
          message:
            "required: it names the grant's record and the resource that writes it, so that adding, " +
            'removing or reordering grants leaves the others alone',
        });
      } else if (grantIds.has(grant.grantId)) {
        problems.push({ path, message: `duplicate grantId ${grant.grantId} in partner ${partner.name}` });
      } else {
        grantIds.add(grant.grantId);
      }
    });
  });
  return problems;
}

/** A grantId as a construct id: `/` separates construct paths, so it is escaped (and `%`, to stay unique). */
function grantConstructId(grantId: string): string {
  return grantId.replace(/%/g, '%25').replace(/\//g, '%2F');
}

/**
 * One API key and one usage plan (throttle + quota) per partner, and the partner's grants written to
 * the grants table under `partner:<apiKeyId>`, the principal the function derives from the request.
 * Key values are generated by API Gateway and never appear in the template or the outputs.
 *
 * Each grant has its own writer (a custom resource) whose construct path is made of what its record key
 * depends on, and of nothing else: the partner's name and key version (they name the key, hence its id)
 * and the grantId. So on an update of the stack, a writer is kept exactly when its record is still
 * configured: adding, removing or reordering grants touches no other grant's writer; changing a grant
 * updates its writer in place; renaming a grant, renaming a partner or bumping its keyVersion creates new
 * writers, and CloudFormation then deletes the old ones, and their records, at cleanup. A writer's
 * physical id never changes on an update either, so CloudFormation never sends the Delete of a
 * replacement, which would remove the record the update had just written.
 */
export class PartnerAccess extends Construct {
  public readonly apiKeys: Record<string, apigateway.IApiKey> = {};
  /** The keys still working beside the new ones during a rotation with overlap, by partner name. */
  public readonly previousApiKeys: Record<string, apigateway.IApiKey> = {};
  public readonly usagePlans: Record<string, apigateway.UsagePlan> = {};

  constructor(scope: Construct, id: string, props: PartnerAccessProps) {
    super(scope, id);
    const problems = partnerProblems(props.partners);
    if (problems.length > 0) {
      throw new Error(
        `PartnerAccess: ${problems.map((problem) => `${['partners', ...problem.path].join('.')}: ${problem.message}`).join('; ')}`,
      );
    }
    if (props.partners.length === 0) return;

    const writerLogs = new logs.LogGroup(this, 'GrantWriterLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Shared by every grant writer: they all run in the same singleton provider function.
    const writerRole = new iam.Role(this, 'GrantWriterRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Writes the grants of configured partners to the grants table at deploy time',
    });
    writerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [writerLogs.logGroupArn],
      }),
    );
    writerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
        resources: [props.grantsTable.tableArn],
      }),
    );
    const keyUse = tableKeyStatement(this, props.grantsTable, TABLE_KEY_WRITE_ACTIONS);
    if (keyUse) writerRole.addToPolicy(keyUse);

    const now = (props.now ?? new Date()).getTime();
    for (const partner of props.partners) {
      const keyVersion = partner.keyVersion ?? 1;
      const keys: { version: number; until?: number }[] = [{ version: keyVersion }];
      const previous = partner.previousKey;
      if (previous) {
        const until = Date.parse(previous.until);
        if (now < until) {
          keys.push({ version: previous.keyVersion, until });
        } else {
          Annotations.of(this).addWarningV2(
            'kvs-url-vending:previousKeyPassed',
            `partners ${partner.name}: the previous key (keyVersion ${previous.keyVersion}) was to work until ` +
              `${previous.until}, which has passed. The function refuses it already (its grants end then); ` +
              'this template no longer holds it, so this deploy deletes that key and its grants. Remove ' +
              'previousKey from the configuration.',
          );
        }
      }
      const plan = new apigateway.UsagePlan(this, `${partner.name}Plan`, {
        name: `${Stack.of(this).stackName}-${partner.name}`,
        description: `Usage plan of partner ${partner.name}`,
        throttle: { rateLimit: partner.rateLimit, burstLimit: partner.burstLimit },
        quota: { limit: partner.quota.limit, period: apigateway.Period[partner.quota.period] },
        // The stage names its API: CDK takes the API id from it.
        apiStages: [{ stage: props.api.deploymentStage }],
      });
      this.usagePlans[partner.name] = plan;

      for (const key of keys) {
        const apiKey = new apigateway.ApiKey(this, `${partner.name}KeyV${key.version}`, {
          description:
            key.until === undefined
              ? `API key of partner ${partner.name}`
              : `Previous API key of partner ${partner.name}, until ${new Date(key.until).toISOString()}`,
          enabled: true,
        });
        plan.addApiKey(apiKey);
        if (key.until === undefined) this.apiKeys[partner.name] = apiKey;
        else this.previousApiKeys[partner.name] = apiKey;

        // `<name>KeyV<n>Grants` ends in neither a digit nor `Plan`: it cannot be another partner's key or plan.
        const writers = new Construct(this, `${partner.name}KeyV${key.version}Grants`);
        for (const grant of partner.grants) {
          const record = key.until === undefined ? grant : endingBy(grant, key.until);
          const itemKey = { principal: `partner:${apiKey.keyId}`, grantId: grant.grantId };
          // Marked as the stack's: the admin API shows it and refuses to change it.
          const item = marshall(
            { ...record, ...itemKey, managedBy: STACK_MANAGED },
            { removeUndefinedValues: true },
          );
          const put = putItem(
            props.grantsTable.tableName,
            item,
            `${partner.name}/keyV${key.version}/${grant.grantId}`,
          );
          const writer = new cr.AwsCustomResource(writers, grantConstructId(grant.grantId), {
            resourceType: 'Custom::PartnerGrant',
            onCreate: put,
            onUpdate: put,
            onDelete: {
              service: 'DynamoDB',
              action: 'deleteItem',
              parameters: { TableName: props.grantsTable.tableName, Key: marshall(itemKey) },
            },
            role: writerRole,
            logGroup: writerLogs,
            installLatestAwsSdk: false,
          });
          writer.node.addDependency(writerRole);
        }
      }
    }

    const provider = Stack.of(this).node.tryFindChild(
      `AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`,
    );
    if (provider) {
      for (const rule of [
        'Serverless-LambdaDLQ',
        'Serverless-LambdaTracing',
        'Serverless-LambdaDefaultMemorySize',
      ]) {
        Validations.of(provider).acknowledge({
          id: rule,
          reason:
            'Deploy-time provider of aws-cdk-lib writing partner grants: invoked synchronously by CloudFormation, which retries and reports failures itself.',
        });
      }
    }
  }
}

/**
 * The writer's call on create and update. Its physical id names the writer, not the key id: it stays the
 * same for the life of the writer, so an update is never taken for a replacement. (Were an API key ever
 * replaced under the same construct id, the record of its old id would stay behind, unusable: API Gateway
 * never hands out a key id twice.)
 */
function putItem(tableName: string, item: Record<string, unknown>, writerName: string): cr.AwsSdkCall {
  return {
    service: 'DynamoDB',
    action: 'putItem',
    parameters: { TableName: tableName, Item: item },
    physicalResourceId: cr.PhysicalResourceId.of(`partner-grant:${writerName}`),
    logging: cr.Logging.withDataHidden(),
  };
}

/** A grant of a previous key: it ends at the key's date at the latest. */
function endingBy(grant: PartnerGrantRecord, until: number): PartnerGrantRecord {
  const own = grant.notAfter === undefined ? undefined : Date.parse(grant.notAfter);
  return own !== undefined && own <= until
    ? grant
    : { ...grant, notAfter: new Date(until).toISOString().replace(/\.000Z$/, 'Z') };
}
