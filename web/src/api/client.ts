// A typed fetch client for Segue's Spotify-shaped API: bearer token (renewed once on a 401),
// JSON bodies, Spotify errors -> ApiError, one wait on 429 Retry-After, and requests that get no
// answer -> retried with backoff (GETs until they succeed, others a few times) -> NetworkError.
import { ApiError, errorFromResponse, isAbortError, NetworkError, retryAfterMs, SessionExpiredError } from './errors';

export { retryAfterMs };

export type QueryValue = string | number | boolean | null | undefined | readonly string[];
export type Query = Record<string, QueryValue>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
  keepalive?: boolean;
  /** Retries after a network failure before NetworkError; GET defaults to unlimited, others to 2. */
  networkRetries?: number;
}

export interface ClientDeps {
  getToken(): Promise<string>;
  /** A new token after `rejected` got a 401 (throws SessionExpiredError when there is none). */
  renewToken(rejected: string): Promise<string>;
  /** A renewed token was refused too: the session is gone. */
  onSessionRejected?(): void;
  waitForRetry(attempt: number, signal?: AbortSignal): Promise<void>;
  reportReachable?(): void;
  reportUnreachable?(): void;
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
  baseUrl?: string;
}

export interface ApiClient {
  request<T>(path: string, options?: RequestOptions): Promise<T>;
  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T>;
}

/** Longest Retry-After the client waits for silently; longer ones fail with the 429. */
export const MAX_RETRY_AFTER_MS = 30_000;

export function buildUrl(base: string, path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null) continue;
    params.set(key, Array.isArray(value) ? value.join(',') : String(value));
  }
  const search = params.toString();
  return base + path + (search ? (path.includes('?') ? '&' : '?') + search : '');
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason ?? new DOMException('Aborted', 'AbortError'));
    }, { once: true });
  });
}

async function parseBody<T>(response: Response): Promise<T> {
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(response.status, 'Segue sent a response that is not JSON.');
  }
}

export function createApiClient(deps: ClientDeps): ApiClient {
  const sleep = deps.sleep ?? defaultSleep;
  const base = deps.baseUrl ?? '';

  async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const method = options.method ?? 'GET';
    const url = buildUrl(base, path, options.query);
    const maxNetworkRetries = options.networkRetries ?? (method === 'GET' ? Infinity : 2);
    let token: string | null = null;
    let renewed = false;
    let waitedForRateLimit = false;
    let networkAttempt = 0;

    for (;;) {
      let response: Response;
      try {
        if (token === null) token = await deps.getToken();
        const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
        if (options.body !== undefined) headers['Content-Type'] = 'application/json';
        response = await fetch(url, {
          method,
          headers,
          body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
          signal: options.signal,
          keepalive: options.keepalive,
        });
      } catch (error) {
        if (isAbortError(error) || options.signal?.aborted) throw error;
        if (error instanceof ApiError || error instanceof SessionExpiredError) throw error;
        deps.reportUnreachable?.();
        if (networkAttempt >= maxNetworkRetries) throw new NetworkError();
        await deps.waitForRetry(networkAttempt++, options.signal);
        continue;
      }
      deps.reportReachable?.();

      if (response.status === 401 && !renewed) {
        renewed = true;
        token = await deps.renewToken(token);
        continue;
      }
      if (response.status === 429 && !waitedForRateLimit) {
        const wait = retryAfterMs(response.headers.get('Retry-After'));
        if (wait <= MAX_RETRY_AFTER_MS) {
          waitedForRateLimit = true;
          await sleep(wait, options.signal);
          continue;
        }
      }
      if (!response.ok) {
        const error = await errorFromResponse(response);
        if (response.status === 401) deps.onSessionRejected?.();
        throw error;
      }
      return parseBody<T>(response);
    }
  }

  return {
    request,
    get: <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>(path, { query, signal }),
  };
}
