import { Validations, type App, type Environment } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { configFromContext } from './config';
import { KvsUrlVendingStack } from './kvs-url-vending-stack';

/** Stack name unless the context sets `stackName`. */
const DEFAULT_STACK_NAME = 'KvsUrlVending';

/**
 * Builds the deployable app: the stack from the `kvsUrlVending` context, checked by the cdk-nag
 * AwsSolutions and Serverless packs (an unacknowledged finding fails synth, hence deploy).
 *
 * `env` defaults to what the CDK CLI passes (`CDK_DEFAULT_ACCOUNT`, `CDK_DEFAULT_REGION`: the
 * account and region of the current credentials and profile).
 */
export function buildApp(
  app: App,
  env: Environment = {
    ...(process.env.CDK_DEFAULT_ACCOUNT !== undefined ? { account: process.env.CDK_DEFAULT_ACCOUNT } : {}),
    ...(process.env.CDK_DEFAULT_REGION !== undefined ? { region: process.env.CDK_DEFAULT_REGION } : {}),
  },
  options: { now?: Date } = {},
): KvsUrlVendingStack {
  const config = configFromContext(app.node);
  const stackName = app.node.tryGetContext('stackName') as unknown;
  const stack = new KvsUrlVendingStack(app, typeof stackName === 'string' ? stackName : DEFAULT_STACK_NAME, {
    config,
    ...(options.now ? { now: options.now } : {}),
    description: 'kvs-url-vending: short-lived Kinesis Video Streams playback URLs for authorized callers',
    env,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return stack;
}
