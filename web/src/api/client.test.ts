import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildUrl, createApiClient, retryAfterMs, type ClientDeps } from './client';
import { ApiError, NetworkError, UNREACHABLE_MESSAGE } from './errors';

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

function makeDeps() {
  const deps = {
    getToken: vi.fn(async () => 'token-1'),
    renewToken: vi.fn(async () => 'token-2'),
    onSessionRejected: vi.fn(),
    waitForRetry: vi.fn(async () => undefined),
    reportReachable: vi.fn(),
    reportUnreachable: vi.fn(),
    sleep: vi.fn(async () => undefined),
  };
  return deps satisfies ClientDeps;
}

const authHeader = (call: unknown[]) => ((call[1] as RequestInit).headers as Record<string, string>).Authorization;

describe('API client', () => {
  let fetchMock: ReturnType<typeof vi.fn>;
  beforeEach(() => {
    fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
  });
  afterEach(() => vi.unstubAllGlobals());

  it('sends the bearer token and parses JSON', async () => {
    fetchMock.mockResolvedValueOnce(json({ id: 'me' }));
    const client = createApiClient(makeDeps());
    await expect(client.get('/v1/me')).resolves.toEqual({ id: 'me' });
    expect(fetchMock.mock.calls[0][0]).toBe('/v1/me');
    expect(authHeader(fetchMock.mock.calls[0])).toBe('Bearer token-1');
  });

  it('sends JSON bodies and accepts empty answers', async () => {
    fetchMock.mockResolvedValueOnce(new Response(null, { status: 204 }));
    const client = createApiClient(makeDeps());
    await expect(client.request('/v1/me/tracks', { method: 'PUT', body: { ids: ['a'] } })).resolves.toBeUndefined();
    const init = fetchMock.mock.calls[0][1] as RequestInit;
    expect(init.method).toBe('PUT');
    expect(init.body).toBe('{"ids":["a"]}');
    expect((init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
  });

  it('maps a Spotify error body to an ApiError with status and message', async () => {
    fetchMock.mockResolvedValueOnce(json({ error: { status: 404, message: 'Album not found' } }, 404));
    const client = createApiClient(makeDeps());
    const error = await client.get('/v1/albums/x').catch((e: Error) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 404, message: 'Album not found' });
  });

  it('maps an OAuth error body and a body that is not JSON', async () => {
    fetchMock.mockResolvedValueOnce(json({ error: 'invalid_request', error_description: 'bad ids' }, 400));
    fetchMock.mockResolvedValueOnce(new Response('<html>oops</html>', { status: 502 }));
    const client = createApiClient(makeDeps());
    await expect(client.get('/a')).rejects.toMatchObject({ status: 400, message: 'bad ids', code: 'invalid_request' });
    await expect(client.get('/b')).rejects.toMatchObject({ status: 502, message: 'Segue had a problem (HTTP 502). Try again.' });
  });

  it('renews the token once after a 401 and retries', async () => {
    fetchMock.mockResolvedValueOnce(json({ error: { status: 401, message: 'The access token expired' } }, 401));
    fetchMock.mockResolvedValueOnce(json({ ok: true }));
    const deps = makeDeps();
    const client = createApiClient(deps);
    await expect(client.get('/v1/me')).resolves.toEqual({ ok: true });
    expect(deps.renewToken).toHaveBeenCalledWith('token-1');
    expect(authHeader(fetchMock.mock.calls[1])).toBe('Bearer token-2');
  });

  it('gives up when the renewed token is refused too', async () => {
    fetchMock.mockImplementation(async () => json({ error: { status: 401, message: 'Invalid access token' } }, 401));
    const deps = makeDeps();
    const client = createApiClient(deps);
    await expect(client.get('/v1/me')).rejects.toMatchObject({ status: 401, message: 'Invalid access token' });
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(deps.onSessionRejected).toHaveBeenCalledTimes(1);
  });

  it('waits for Retry-After once on 429', async () => {
    fetchMock.mockResolvedValueOnce(json({ error: { status: 429, message: 'Slow down' } }, 429, { 'Retry-After': '3' }));
    fetchMock.mockResolvedValueOnce(json({ ok: 1 }));
    const deps = makeDeps();
    const client = createApiClient(deps);
    await expect(client.get('/x')).resolves.toEqual({ ok: 1 });
    expect(deps.sleep).toHaveBeenCalledWith(3000, undefined);
  });

  it('fails on a second 429', async () => {
    fetchMock.mockImplementation(async () => json({ error: { status: 429, message: 'Slow down' } }, 429, { 'Retry-After': '1' }));
    const deps = makeDeps();
    const client = createApiClient(deps);
    await expect(client.get('/x')).rejects.toMatchObject({ status: 429, message: 'Slow down' });
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(deps.sleep).toHaveBeenCalledTimes(1);
  });

  it('does not sit through a very long Retry-After', async () => {
    fetchMock.mockResolvedValueOnce(json({ error: { status: 429, message: 'Slow down' } }, 429, { 'Retry-After': '600' }));
    const deps = makeDeps();
    await expect(createApiClient(deps).get('/x')).rejects.toMatchObject({ status: 429 });
    expect(deps.sleep).not.toHaveBeenCalled();
  });

  it('retries a GET after a network failure and reports it', async () => {
    fetchMock.mockRejectedValueOnce(new TypeError('Failed to fetch'));
    fetchMock.mockRejectedValueOnce(new TypeError('Failed to fetch'));
    fetchMock.mockResolvedValueOnce(json({ ok: true }));
    const deps = makeDeps();
    const client = createApiClient(deps);
    await expect(client.get('/x')).resolves.toEqual({ ok: true });
    expect(deps.reportUnreachable).toHaveBeenCalledTimes(2);
    expect(deps.waitForRetry.mock.calls.map((c: unknown[]) => c[0])).toEqual([0, 1]);
    expect(deps.reportReachable).toHaveBeenCalled();
  });

  it('throws a NetworkError once the retries of a POST run out', async () => {
    fetchMock.mockRejectedValue(new TypeError('Failed to fetch'));
    const deps = makeDeps();
    const error = await createApiClient(deps).request('/x', { method: 'POST', body: {}, networkRetries: 1 }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toBe(UNREACHABLE_MESSAGE);
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });

  it('passes an abort through instead of retrying', async () => {
    const controller = new AbortController();
    controller.abort();
    fetchMock.mockRejectedValue(new DOMException('Aborted', 'AbortError'));
    const deps = makeDeps();
    await expect(createApiClient(deps).get('/x', undefined, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
    expect(deps.waitForRetry).not.toHaveBeenCalled();
  });
});

describe('request helpers', () => {
  it('builds query strings, joining arrays and skipping empty values', () => {
    expect(buildUrl('', '/v1/me/tracks/contains', { ids: ['a', 'b'], limit: 5, offset: undefined }))
      .toBe('/v1/me/tracks/contains?ids=a%2Cb&limit=5');
    expect(buildUrl('', '/v1/me', {})).toBe('/v1/me');
  });

  it('reads Retry-After as seconds or as a date', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs(null)).toBe(1000);
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryAfterMs('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5000);
  });
});
