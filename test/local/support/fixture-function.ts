/**
 * A function for the instance pool's tests, bundled the way the vend function is: each action makes an
 * instance do one thing Lambda has to cope with. Module state (`invocations`) shows which instance ran.
 */
import type { Context } from 'aws-lambda';

export type FixtureEvent =
  | { action: 'echo' }
  | { action: 'sleep'; ms: number }
  | { action: 'log'; text: string }
  | { action: 'throw' }
  | { action: 'exit' }
  | { action: 'hang' }
  | { action: 'unserialisable' };

let invocations = 0;

if (process.env.FIXTURE_FAIL_INIT === '1') throw new RangeError('FIXTURE_FAIL_INIT asks the init to fail');

export async function handler(event: FixtureEvent, context: Context): Promise<unknown> {
  invocations += 1;
  switch (event.action) {
    case 'sleep':
      await new Promise((resolve) => setTimeout(resolve, event.ms));
      break;
    case 'log':
      console.log(event.text);
      process.stderr.write(`${event.text} (stderr)\n`);
      break;
    case 'throw':
      throw new TypeError('a message that could hold a token');
    case 'exit':
      process.exit(3);
    // falls through: exit does not return
    case 'hang':
      await new Promise<never>(() => undefined);
      break;
    case 'unserialisable':
      return { when: new Date(0), callback: () => 1, missing: undefined };
    case 'echo':
      break;
  }
  return {
    invocations,
    fixtureValue: process.env.FIXTURE_VALUE,
    initializationType: process.env.AWS_LAMBDA_INITIALIZATION_TYPE,
    logStreamName: context.logStreamName,
    remainingMs: context.getRemainingTimeInMillis(),
  };
}
