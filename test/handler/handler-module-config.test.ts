const saved = { ...process.env };

afterAll(() => {
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
});

describe('the handler module with a bad environment', () => {
  it('fails at load with a message naming the variable', async () => {
    for (const name of ['JWT_JWKS_URL', 'JWT_SECRET_ARN', 'JWT_SECRET', 'GRANTS_TABLE_NAME', 'GRANTS_FILE']) {
      delete process.env[name];
    }
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      JWT_ISSUER: 'https://issuer.test',
      JWT_AUDIENCE: 'vend',
    });
    await expect(import('../../lambda/vend/handler')).rejects.toThrow(
      'JWT_JWKS_URL, JWT_SECRET_ARN, JWT_SECRET',
    );
  });
});
