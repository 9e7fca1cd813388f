import type { TemplateJson } from './cfn-spec';
import { EMPTY, update, type CustomResourceRequest } from './cfn-update';

/** The update model's own behaviour, on small hand-written templates. */

const table = (name: string, billing: string) => ({
  Type: 'AWS::DynamoDB::Table',
  Properties: {
    TableName: name,
    BillingMode: billing,
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
  },
});
const writer = (key: unknown, physicalId: unknown) => ({
  Type: 'Custom::Writer',
  Properties: {
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:provider',
    Key: key,
    Id: physicalId,
  },
});

/** A provider that answers with the physical id its properties name, and records what it was asked. */
function recordingProvider() {
  const requests: CustomResourceRequest[] = [];
  return {
    requests,
    providers: {
      customResource: (request: CustomResourceRequest) => {
        requests.push(request);
        return Promise.resolve(String(request.ResourceProperties.Id));
      },
    },
  };
}

describe('the CloudFormation update model', () => {
  it('updates in place what can change in place, replaces what cannot, and updates what refers to a replacement', async () => {
    const before: TemplateJson = {
      Resources: {
        Table: table('grants', 'PAY_PER_REQUEST'),
        Other: table('other', 'PAY_PER_REQUEST'),
        Writer: writer({ Ref: 'Table' }, 'w'),
      },
    };
    const after: TemplateJson = {
      Resources: {
        Table: table('grants-2', 'PAY_PER_REQUEST'),
        Other: table('other', 'PROVISIONED'),
        Writer: writer({ Ref: 'Table' }, 'w'),
      },
    };
    const { providers, requests } = recordingProvider();
    const first = await update(EMPTY, before, providers, 't');

    const { deployment, plan } = await update(first.deployment, after, providers, 't');

    expect(plan).toMatchObject({
      created: [],
      updated: ['Other', 'Writer'],
      replaced: ['Table'],
      deleted: [],
    });
    expect(deployment.physicalIds.Table).not.toBe(first.deployment.physicalIds.Table);
    expect(deployment.physicalIds.Other).toBe(first.deployment.physicalIds.Other);
    expect(requests.slice(1)).toEqual([
      expect.objectContaining({
        RequestType: 'Update',
        PhysicalResourceId: 'w',
        ResourceProperties: expect.objectContaining({ Key: deployment.physicalIds.Table }) as unknown,
        OldResourceProperties: expect.objectContaining({
          Key: first.deployment.physicalIds.Table,
        }) as unknown,
      }),
    ]);
  });

  it('takes a new physical id in answer to an Update for a replacement: Delete of the old one at cleanup, with its old properties, after every create and update', async () => {
    const before: TemplateJson = {
      Resources: { A: writer('a', 'a-1'), B: writer('b', 'b-1'), Gone: writer('g', 'g-1') },
    };
    const after: TemplateJson = {
      Resources: { A: writer('a2', 'a-2'), B: writer('b', 'b-1'), New: writer('n', 'n-1') },
    };
    const { providers, requests } = recordingProvider();
    const first = await update(EMPTY, before, providers, 't');
    requests.length = 0;

    const { plan } = await update(first.deployment, after, providers, 't');

    expect(plan).toMatchObject({ created: ['New'], updated: [], replaced: ['A'], deleted: ['Gone'] });
    expect(
      requests.map((request) => [
        request.RequestType,
        request.LogicalResourceId,
        request.PhysicalResourceId,
        request.ResourceProperties.Key,
      ]),
    ).toEqual([
      ['Update', 'A', 'a-1', 'a2'],
      ['Create', 'New', undefined, 'n'],
      ['Delete', 'Gone', 'g-1', 'g'],
      ['Delete', 'A', 'a-1', 'a'],
    ]);
  });
});
