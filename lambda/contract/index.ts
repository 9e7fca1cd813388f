/**
 * The HTTP contract of the API, defined once: the function's routing, the stack's API, the local API
 * and the tests are derived from it, and a test holds `openapi.yaml` to it. Pure data, importing
 * nothing outside this folder, so the vend bundle, `lib/` and `local/` all import it.
 */
export * from './admin';
export * from './cors';
export * from './errors';
export * from './headers';
export * from './media';
export * from './playback';
export * from './request-bodies';
export * from './routes';
export * from './edge-answers';
