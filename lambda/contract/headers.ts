/**
 * The headers every answer of the API carries, whoever gives it (the function, API Gateway's gateway
 * responses, MOCK methods and preflights, WAF, the local API): nothing may be cached by a browser or a
 * proxy (a success carries a bearer URL), nor sniffed as another media type.
 */
export const UNCACHEABLE_HEADERS = {
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
  'X-Content-Type-Options': 'nosniff',
} as const satisfies Readonly<Record<string, string>>;
