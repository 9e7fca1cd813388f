import { ROUTES } from '../../local/api-gateway/routes';
import { OpenApiContract } from './support/openapi';

describe('openapi.yaml', () => {
  const contract = new OpenApiContract();
  const document = contract.document as {
    openapi: string;
    paths: Record<string, Record<string, { security?: Record<string, unknown>[] }>>;
  };

  it('describes exactly the four methods the API defines, each with its kind of credentials', () => {
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => key !== 'parameters')
        .map(
          (method) =>
            `${method.toUpperCase()} ${path} ${Object.keys(item[method]!.security?.[0] ?? {}).join()}`,
        ),
    );
    const defined = ROUTES.map(
      (route) => `${route.method} ${route.resource} ${route.apiKeyRequired ? 'apiKey' : 'bearerJwt'}`,
    );

    expect(document.openapi).toMatch(/^3\.1\./);
    expect(documented.sort()).toEqual(defined.sort());
  });

  it('has no dangling $ref', () => {
    const dangling: string[] = [];
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(visit);
      if (typeof node !== 'object' || node === null) return;
      for (const [key, value] of Object.entries(node)) {
        if (key === '$ref' && typeof value === 'string') {
          let target: unknown = contract.document;
          for (const part of value.replace(/^#\//, '').split('/')) {
            target = (target as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/')];
          }
          if (target === undefined) dangling.push(value);
        } else {
          visit(value);
        }
      }
    };

    visit(contract.document);

    expect(dangling).toEqual([]);
  });

  it('rejects a response that breaks it, so the checks of the local stack tests can fail', () => {
    const headers = new Headers({ 'content-type': 'application/json' });

    expect(() =>
      contract.assertResponse('GET', '/v1/streams', { status: 200, headers, body: { streams: [{}] } }),
    ).toThrow(/breaks openapi.yaml/);
    expect(() => contract.assertResponse('GET', '/v1/streams', { status: 418, headers, body: {} })).toThrow(
      /does not document status 418/,
    );
    expect(() =>
      contract.assertResponse('POST', '/v1/streams/{streamName}/playback-url', {
        status: 200,
        headers: new Headers({ 'content-type': 'application/json', 'cache-control': 'max-age=60' }),
        body: {
          url: 'http://127.0.0.1:4567/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=x',
          protocol: 'HLS',
          stream: 'front-door',
          playbackMode: 'LIVE',
          expiresAt: '2026-11-25T12:05:00Z',
          expiresInSeconds: 300,
        },
      }),
    ).toThrow(/header Cache-Control/);
  });
});
