import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NagPack, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { synthApp } from './synth-app';

interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** Every acknowledgement recorded in the construct tree. */
function acknowledgements(app: App): Acknowledgement[] {
  return app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

/**
 * Runs both packs over the app and reports what they flag and which acknowledgements silenced a
 * finding. cdk-nag keeps the acknowledgement check private; the spy only observes its answers.
 */
function runPacks(app: App): { violations: string[]; used: Set<string> } {
  const used = new Set<string>();
  const prototype = NagPack.prototype as unknown as {
    isAcknowledged(resource: IConstruct, ruleId: string): boolean;
  };
  const original = prototype.isAcknowledged;
  const spy = jest.spyOn(prototype, 'isAcknowledged').mockImplementation(function (
    this: unknown,
    resource: IConstruct,
    ruleId: string,
  ) {
    const acknowledged = original.call(this, resource, ruleId);
    if (acknowledged) used.add(ruleId);
    return acknowledged;
  });
  try {
    const violations = [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
      pack
        .validateScope(app)
        .violations.flatMap((violation) =>
          violation.violatingResources.map(
            (resource) => `${violation.ruleName} on ${resource.constructPath}`,
          ),
        ),
    );
    return { violations, used };
  } finally {
    spy.mockRestore();
  }
}

const variants: [string, Record<string, unknown>][] = [
  ['cdk.json defaults with an alarm email', { alarmEmail: 'oncall@example.com' }],
  [
    'HS256 secret, no WAF, no partners, no CORS, no admission',
    {
      jwksUrl: undefined,
      jwtSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:kvs-url-vending/jwt-AbCdEf',
      waf: { enabled: false },
      partners: [],
      allowedOrigins: [],
      admission: { enabled: false },
    },
  ],
  [
    'HS256 secret and grants table with customer managed keys, a reservation',
    {
      jwksUrl: undefined,
      jwtSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:kvs-url-vending/jwt-AbCdEf',
      jwtSecretKmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab',
      grantsTableKmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      reservedConcurrency: 20,
    },
  ],
];

describe.each(variants)('cdk-nag AwsSolutions + Serverless over the whole app: %s', (_name, overrides) => {
  const { app } = synthApp({ overrides });
  const { violations, used } = runPacks(app);
  const acks = acknowledgements(app);

  it('leaves zero unacknowledged findings', () => {
    expect(violations).toEqual([]);
  });

  it('synthesizes with the packs registered as validation plugins (a finding would fail synth)', () => {
    expect(() => app.synth()).not.toThrow();
  });

  it('acknowledges only findings that exist', () => {
    expect(acks.length).toBeGreaterThan(0);
    expect(acks.filter((ack) => !used.has(ack.id)).map((ack) => `${ack.id} on ${ack.path}`)).toEqual([]);
  });

  it('gives every acknowledgement a specific reason', () => {
    for (const ack of acks) {
      expect(ack.reason.length).toBeGreaterThanOrEqual(80);
      expect(ack.reason).not.toMatch(/^(n\/a|todo|tbd|suppress|ignore|not needed|false positive)/i);
      expect(ack.reason).not.toContain(ack.id);
    }
    // The same words for different rules would be a blanket excuse, not a reason.
    const byReason = new Map<string, Set<string>>();
    for (const ack of acks) {
      const rule = ack.id.replace(/\[.*$/, '');
      byReason.set(ack.reason, (byReason.get(ack.reason) ?? new Set()).add(rule));
    }
    const shared = [...byReason.entries()].filter(
      ([, rules]) => rules.size > 1 && ![...rules].every((rule) => rule.startsWith('Serverless-Lambda')),
    );
    expect(shared).toEqual([]);
  });
});
