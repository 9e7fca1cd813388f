import { startLeakGuard, type LeakGuard } from './leak-guard';

/**
 * Runs in every test file (jest `setupFilesAfterEnv`): whatever a test does, nothing it makes the product
 * write to stdout, stderr or the console may carry a session token or a JWT. Output still reaches the
 * terminal; only the shapes of secrets are looked for, so no test has to register anything.
 */
let guard: LeakGuard | undefined;

beforeAll(() => {
  guard = startLeakGuard({ echo: true, retain: false });
});

afterAll(() => {
  guard?.stop();
  guard?.assertNoLeaks();
});
