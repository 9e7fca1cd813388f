import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { STACK_MANAGED } from '../../contract';
import type { ValidationDetail } from '../../core/errors';
import { GrantRecordError, parseStoredGrant, type GrantRecord, type StoredGrant } from './grant-records';
import {
  CONTROL_EPOCH_ATTRIBUTE,
  CONTROL_GRANT_VERSION_ATTRIBUTE,
  CONTROL_ITEM_KEY,
  GRANTS_TABLE_KEY,
  REVOCATION_SORT_KEY,
} from './grants-table';
import type { RevocationItem } from './revocation-records';

/** One item of a principal's partition that is a grant: readable or not. */
export type GrantEntry =
  | { readonly grantId: string; readonly valid: true; readonly stored: StoredGrant }
  | {
      readonly grantId: string;
      readonly valid: false;
      readonly version: number;
      readonly managedBy?: typeof STACK_MANAGED;
      /** Why the function skips it: fields and issues, never values. */
      readonly details: readonly ValidationDetail[];
    };

/** The version an entry holds (0: written without the admin API). */
export function versionOf(entry: GrantEntry): number {
  return entry.valid ? entry.stored.metadata.version : entry.version;
}

export function isStackManaged(entry: GrantEntry): boolean {
  return (entry.valid ? entry.stored.metadata.managedBy : entry.managedBy) === STACK_MANAGED;
}

/** What a change must find before it applies. */
export type GrantPrecondition =
  | { readonly kind: 'create' }
  | { readonly kind: 'version'; readonly version: number }
  | { readonly kind: 'any' };

/** Why a conditional change did not apply: the entry as it is now (absent: there is none). */
export class GrantConflict extends Error {
  constructor(readonly current: GrantEntry | undefined) {
    super('The grant is not in the state the change expected.');
    this.name = 'GrantConflict';
  }
}

export interface GrantAdminStore {
  /** Every grant of a principal, and its revocation. */
  list(principal: string): Promise<{ grants: GrantEntry[]; revocation?: RevocationItem }>;
  get(principal: string, grantId: string): Promise<GrantEntry | undefined>;
  /**
   * Writes a grant record (validated) with a new version (one no grant of the table had), when the stored one matches the precondition
   * and is not the stack's; throws GrantConflict otherwise.
   */
  put(
    record: GrantRecord & { readonly grantId: string },
    precondition: GrantPrecondition,
    by: { readonly operator: string; readonly at: number },
  ): Promise<{ before?: GrantEntry; after: GrantEntry }>;
  /** Deletes a grant that matches the precondition and is not the stack's; throws GrantConflict otherwise. */
  delete(principal: string, grantId: string, precondition: GrantPrecondition): Promise<GrantEntry>;
  getRevocation(principal: string): Promise<RevocationItem | undefined>;
  /** Writes (or replaces) a principal's revocation; resolves to the one it replaced. */
  putRevocation(revocation: RevocationItem): Promise<RevocationItem | undefined>;
  /** Removes a principal's revocation; resolves to it, or undefined when there was none. */
  deleteRevocation(principal: string): Promise<RevocationItem | undefined>;
  /** Moves the control epoch on: every instance of the vend function reloads what it cached. */
  bumpEpoch(): Promise<number>;
}

export interface DynamoDbGrantAdminStoreOptions {
  tableName: string;
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  client?: DynamoDBClient;
}

function isConditionFailure(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException';
}

/** An item of a principal's partition as a grant entry. */
export function grantEntryOf(item: Readonly<Record<string, unknown>>): GrantEntry {
  const grantId = String(item.grantId);
  try {
    return { grantId, valid: true, stored: parseStoredGrant(item) };
  } catch (error) {
    const version = typeof item.version === 'number' && Number.isInteger(item.version) ? item.version : 0;
    return {
      grantId,
      valid: false,
      version,
      ...(item.managedBy === STACK_MANAGED ? { managedBy: STACK_MANAGED } : {}),
      details: error instanceof GrantRecordError ? error.details : [{ field: 'record', issue: 'unreadable' }],
    };
  }
}

/**
 * The grants table as the admin function changes it (layout: `grants-table.ts`). Every change of a grant is
 * conditional on what was read: on its version (drawn from a table-wide counter on every write), or on its
 * absence for a create, and always on it not being the stack's (`managedBy`). Reads are strongly
 * consistent, so what an operator sees is what a conditional change compares with.
 */
export function createDynamoDbGrantAdminStore(options: DynamoDbGrantAdminStoreOptions): GrantAdminStore {
  const client =
    options.client ??
    new DynamoDBClient({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });
  const table = options.tableName;
  const keyOf = (principal: string, grantId: string): Record<string, AttributeValue> =>
    marshall({ [GRANTS_TABLE_KEY.partitionKey]: principal, [GRANTS_TABLE_KEY.sortKey]: grantId });

  const getItem = async (principal: string, grantId: string) => {
    const output = await client.send(
      new GetItemCommand({ TableName: table, Key: keyOf(principal, grantId), ConsistentRead: true }),
    );
    return output.Item ? unmarshall(output.Item) : undefined;
  };

  /** The condition a change needs, as a DynamoDB condition expression. */
  const conditionOf = (precondition: GrantPrecondition) => {
    const names: Record<string, string> = { '#grantId': GRANTS_TABLE_KEY.sortKey, '#managedBy': 'managedBy' };
    const values: Record<string, AttributeValue> = {};
    let expression: string;
    switch (precondition.kind) {
      case 'create':
        // DynamoDB refuses expression names an expression does not use.
        delete names['#managedBy'];
        expression = 'attribute_not_exists(#grantId)';
        break;
      case 'any':
        expression = 'attribute_exists(#grantId) AND attribute_not_exists(#managedBy)';
        break;
      case 'version':
        names['#version'] = 'version';
        if (precondition.version === 0) {
          expression =
            'attribute_exists(#grantId) AND attribute_not_exists(#version) AND attribute_not_exists(#managedBy)';
        } else {
          delete names['#grantId'];
          expression = '#version = :version AND attribute_not_exists(#managedBy)';
          values[':version'] = { N: String(precondition.version) };
        }
        break;
    }
    return {
      ConditionExpression: expression,
      ExpressionAttributeNames: names,
      ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
    };
  };

  /**
   * The version of a write: the next value of the table's counter, never one any grant had, so a version
   * read before a grant was deleted and created again never matches the new one.
   */
  const nextVersion = async (): Promise<number> => {
    const output = await client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: marshall(CONTROL_ITEM_KEY),
        UpdateExpression: 'ADD #version :one',
        ExpressionAttributeNames: { '#version': CONTROL_GRANT_VERSION_ATTRIBUTE },
        ExpressionAttributeValues: { ':one': { N: '1' } },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(output.Attributes?.[CONTROL_GRANT_VERSION_ATTRIBUTE]?.N);
  };

  const revocationOf = (item: Record<string, unknown> | undefined): RevocationItem | undefined =>
    item ? (item as unknown as RevocationItem) : undefined;

  return {
    async list(principal) {
      const grants: GrantEntry[] = [];
      let revocation: RevocationItem | undefined;
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: '#principal = :principal',
            ExpressionAttributeNames: { '#principal': GRANTS_TABLE_KEY.partitionKey },
            ExpressionAttributeValues: { ':principal': { S: principal } },
            ConsistentRead: true,
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
        for (const raw of page.Items ?? []) {
          const item = unmarshall(raw);
          if (item.grantId === REVOCATION_SORT_KEY) revocation = revocationOf(item);
          else grants.push(grantEntryOf(item));
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return { grants, ...(revocation ? { revocation } : {}) };
    },

    async get(principal, grantId) {
      const item = await getItem(principal, grantId);
      return item ? grantEntryOf(item) : undefined;
    },

    async put(record, precondition, by) {
      const beforeItem = await getItem(record.principal, record.grantId);
      const before = beforeItem ? grantEntryOf(beforeItem) : undefined;
      const item = {
        ...record,
        version: await nextVersion(),
        updatedAt: new Date(by.at).toISOString(),
        updatedBy: by.operator,
      };
      try {
        await client.send(
          new PutItemCommand({
            TableName: table,
            Item: marshall(item, { removeUndefinedValues: true }),
            ...conditionOf(precondition),
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const current = await getItem(record.principal, record.grantId);
        throw new GrantConflict(current ? grantEntryOf(current) : undefined);
      }
      return { ...(before ? { before } : {}), after: grantEntryOf(item) };
    },

    async delete(principal, grantId, precondition) {
      try {
        const output = await client.send(
          new DeleteItemCommand({
            TableName: table,
            Key: keyOf(principal, grantId),
            ReturnValues: 'ALL_OLD',
            ...conditionOf(precondition.kind === 'create' ? { kind: 'any' } : precondition),
          }),
        );
        return grantEntryOf(unmarshall(output.Attributes!));
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const current = await getItem(principal, grantId);
        throw new GrantConflict(current ? grantEntryOf(current) : undefined);
      }
    },

    async getRevocation(principal) {
      return revocationOf(await getItem(principal, REVOCATION_SORT_KEY));
    },

    async putRevocation(revocation) {
      const output = await client.send(
        new PutItemCommand({
          TableName: table,
          Item: marshall(revocation, { removeUndefinedValues: true }),
          ReturnValues: 'ALL_OLD',
        }),
      );
      return revocationOf(output.Attributes ? unmarshall(output.Attributes) : undefined);
    },

    async deleteRevocation(principal) {
      const output = await client.send(
        new DeleteItemCommand({
          TableName: table,
          Key: keyOf(principal, REVOCATION_SORT_KEY),
          ReturnValues: 'ALL_OLD',
        }),
      );
      return revocationOf(output.Attributes ? unmarshall(output.Attributes) : undefined);
    },

    async bumpEpoch() {
      const output = await client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: marshall(CONTROL_ITEM_KEY),
          UpdateExpression: 'ADD #epoch :one',
          ExpressionAttributeNames: { '#epoch': CONTROL_EPOCH_ATTRIBUTE },
          ExpressionAttributeValues: { ':one': { N: '1' } },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(output.Attributes?.[CONTROL_EPOCH_ATTRIBUTE]?.N ?? 0);
    },
  };
}

/** The TTL of a revocation item: a day after it ends, so `until` is still shown for a while. */
export function revocationTtl(until: number): number {
  return Math.ceil(until / 1000) + 86_400;
}
