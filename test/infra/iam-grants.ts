/** One IAM statement of a synthesized template, as CloudFormation holds it. */
export interface PolicyStatement {
  readonly Effect: string;
  readonly Action: string | readonly string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

/** One permission: an action allowed on one resource, under a condition if any. */
export interface Permission {
  readonly action: string;
  readonly resource: unknown;
  readonly condition?: unknown;
}

/**
 * The permissions a list of statements allows, one per action and resource, sorted: independent of
 * how `@aws-cdk/aws-iam:minimizePolicies` merges and orders statements.
 */
export function permissionsOf(statements: readonly PolicyStatement[]): Permission[] {
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? (value as unknown[]) : [value]);
  return statements
    .filter((statement) => statement.Effect === 'Allow')
    .flatMap((statement) =>
      list(statement.Action).flatMap((action) =>
        list(statement.Resource).map((resource) => ({
          action: action as string,
          resource,
          ...(statement.Condition !== undefined ? { condition: statement.Condition } : {}),
        })),
      ),
    )
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** `permissionsOf` for the given actions on one resource (expected values of tests). */
export function allow(actions: readonly string[], resource: unknown, condition?: unknown): Permission[] {
  return actions.map((action) => ({ action, resource, ...(condition !== undefined ? { condition } : {}) }));
}
