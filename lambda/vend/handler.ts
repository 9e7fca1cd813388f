import { parseConfig } from './config';
import { createHandler } from './create-handler';
import { wireFunction } from './wiring';

export { createHandler } from './create-handler';
export type { VendHandler, VendHandlerDeps } from './create-handler';

// Everything below runs once per cold start: a bad setting fails here, and clients are reused.
const config = parseConfig(process.env);

/** The vend function: lists streams and vends session URLs (lambda/contract FUNCTION_OF_ACTION). */
export const handler = createHandler({ ...wireFunction(config).deps, serves: 'vend' });
