// Errors the app shows to people: each carries a sentence that can go straight into the page.

/** The server answered with an error (Spotify shape {"error":{"status","message"}} or an OAuth error). */
export class ApiError extends Error {
  readonly status: number;
  /** The OAuth error code (invalid_grant, ...) when the body was an OAuth error. */
  readonly code: string | null;
  /** The response's Retry-After as ms (a 503 while the search index is built, a 429), or null. */
  retryAfterMs: number | null = null;
  constructor(status: number, message: string, code: string | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** Retry-After as ms: delta-seconds or an HTTP date; 1 s when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number {
  if (!header) return 1000;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? 1000 : Math.max(0, date - now);
}

export const UNREACHABLE_MESSAGE = 'Segue is unreachable. Retrying…';

/** The request never got an answer (server down, network gone). */
export class NetworkError extends Error {
  constructor(message = UNREACHABLE_MESSAGE) {
    super(message);
    this.name = 'NetworkError';
  }
}

export const SESSION_EXPIRED_MESSAGE = 'Your session has expired. Log in again.';

/** The refresh token was refused: the person has to log in again. */
export class SessionExpiredError extends Error {
  constructor(message = SESSION_EXPIRED_MESSAGE) {
    super(message);
    this.name = 'SessionExpiredError';
  }
}

export function isAbortError(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

/** A sentence for any error, for role="alert" messages. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError || error instanceof NetworkError || error instanceof SessionExpiredError) {
    return error.message;
  }
  return 'Something went wrong. Try again.';
}

/** Reads a failed response's body into an ApiError, whatever its shape (with its Retry-After). */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  const error = await errorFromBody(response);
  const retryAfter = response.headers?.get('Retry-After') ?? null;
  if (retryAfter !== null) error.retryAfterMs = retryAfterMs(retryAfter);
  return error;
}

async function errorFromBody(response: Response): Promise<ApiError> {
  const status = response.status;
  let text = '';
  try {
    text = await response.text();
  } catch {
    // A body that cannot be read still leaves the status.
  }
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (body && typeof body === 'object' && 'error' in body) {
    const error = (body as { error: unknown; error_description?: unknown }).error;
    if (error && typeof error === 'object') {
      const message = (error as { message?: unknown }).message;
      if (typeof message === 'string' && message) return new ApiError(status, message);
    } else if (typeof error === 'string') {
      const description = (body as { error_description?: unknown }).error_description;
      return new ApiError(status, typeof description === 'string' && description ? description : error, error);
    }
  }
  return new ApiError(status, fallbackMessage(status));
}

function fallbackMessage(status: number): string {
  if (status === 401) return 'You are not logged in.';
  if (status === 403) return 'You are not allowed to do that.';
  if (status === 404) return 'Not found.';
  if (status === 429) return 'Too many requests. Try again in a moment.';
  if (status >= 500) return `Segue had a problem (HTTP ${status}). Try again.`;
  return `The request failed (HTTP ${status}).`;
}
