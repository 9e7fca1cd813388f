/**
 * The AWS Regions where Kinesis Video Streams is offered, as the service's documentation lists them
 * ("Region availability" in the Kinesis Video Streams Developer Guide, and "Amazon Kinesis Video Streams
 * endpoints and quotas" in the AWS General Reference), read in December 2026. The lists change as AWS
 * opens Regions: a Region missing here gets a synth warning, not an error, and the warning can be
 * acknowledged (`acknowledgedWarnings` in cdk.json) once KVS is known to be there.
 */
export const KVS_REGIONS: readonly string[] = [
  'us-east-1',
  'us-east-2',
  'us-west-2',
  'us-gov-east-1',
  'us-gov-west-1',
  'af-south-1',
  'ap-east-1',
  'ap-south-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-southeast-1',
  'ap-southeast-2',
  // Asia Pacific (Malaysia): the endpoints page says ap-southeast-5, the Developer Guide ap-southeast-3.
  'ap-southeast-3',
  'ap-southeast-5',
  'ca-central-1',
  'cn-north-1',
  'eu-central-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-south-2',
  'me-south-1',
  'sa-east-1',
];

/** Ids of the warnings the stack may give at synth; each can be acknowledged once checked. */
export const WARNING_IDS = {
  region: 'kvs-url-vending:region',
  reservedConcurrency: 'kvs-url-vending:reservedConcurrency',
} as const;

/** The Region of a KVS stream ARN (pattern), e.g. `eu-west-1`. */
export function regionOfStreamArn(arn: string): string | undefined {
  return /^arn:[a-z-]+:kinesisvideo:([a-z0-9-]+):/.exec(arn)?.[1];
}
