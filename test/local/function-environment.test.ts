import { handlerEnvironment, LOCAL_TABLE_TIMEOUT_MS } from '../../local/start';

describe("the local stack's function environment", () => {
  const wiring = { ADMISSION_TABLE_NAME: 'local-admission', DYNAMODB_ENDPOINT: 'http://127.0.0.1:1' };

  it('gives the table calls the local deadlines unless the shell sets them', () => {
    const defaults = handlerEnvironment(wiring, {}, {});
    expect(defaults).toMatchObject({
      ADMISSION_TIMEOUT_MS: String(LOCAL_TABLE_TIMEOUT_MS),
      GRANTS_TIMEOUT_MS: String(LOCAL_TABLE_TIMEOUT_MS),
      SESSIONS_TIMEOUT_MS: String(LOCAL_TABLE_TIMEOUT_MS),
    });

    // The deployed deadlines, tried locally: the shell's values reach the function.
    const deployed = handlerEnvironment(
      wiring,
      {},
      { ADMISSION_TIMEOUT_MS: '1500', GRANTS_TIMEOUT_MS: '1500', SESSIONS_TIMEOUT_MS: '500' },
    );
    expect(deployed).toMatchObject({
      ADMISSION_TIMEOUT_MS: '1500',
      GRANTS_TIMEOUT_MS: '1500',
      SESSIONS_TIMEOUT_MS: '500',
    });
  });

  it('keeps the wiring to the local services over the shell, and drops what would point elsewhere', () => {
    const environment = handlerEnvironment(
      wiring,
      { KVS_SESSION_LIFETIME_SCALE: '1' },
      {
        DYNAMODB_ENDPOINT: 'https://dynamodb.eu-west-1.amazonaws.com',
        ADMISSION_TABLE_NAME: 'prod-admission',
        AWS_SESSION_TOKEN: 'from-the-shell',
        POWERTOOLS_LOG_LEVEL: 'DEBUG',
      },
    );
    expect(environment).toMatchObject({
      ...wiring,
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      KVS_SESSION_LIFETIME_SCALE: '1',
    });
    expect(environment).not.toHaveProperty('AWS_SESSION_TOKEN');
  });
});
