export interface ApiResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

/** One call of the local API; the body is parsed as JSON when it is JSON. */
export async function call(
  url: string,
  options: {
    method?: string;
    /** A bearer token; none when undefined (callers pass tokens they may not have). */
    token?: string | undefined;
    apiKey?: string | undefined;
    body?: unknown;
    headers?: Record<string, string>;
  } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.apiKey !== undefined) headers['x-api-key'] = options.apiKey;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(url, {
    method: options.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body: body ?? null,
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: kept as text so the assertion shows what came back.
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** `{"error": {...}}` of a service answer, typed for assertions. */
export function errorOf(response: ApiResponse): { code: string; message: string; requestId: string } {
  return (response.body as { error: { code: string; message: string; requestId: string } }).error;
}
