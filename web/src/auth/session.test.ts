import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SessionExpiredError } from '../api/errors';
import { getAccessToken, getSessionState, renewAfterUnauthorized } from './session';
import { loadLogoutReason, loadTokens, saveTokens, type StoredTokens } from './storage';

function stored(accessToken: string, expiresInMs: number): StoredTokens {
  return {
    accessToken, refreshToken: `refresh-${accessToken}`, expiresAt: Date.now() + expiresInMs,
    lifetimeMs: 3_600_000, scope: '', clientId: 'segue-web',
  };
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

describe('session token refresh', () => {
  beforeEach(() => localStorage.clear());
  afterEach(() => vi.unstubAllGlobals());

  it('uses a fresh token without refreshing', async () => {
    saveTokens(stored('a1', 3_600_000));
    const fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
    expect(await getAccessToken()).toBe('a1');
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('refreshes an expiring token with the stored refresh token and client id', async () => {
    saveTokens(stored('a1', 1000));
    const fetchMock = vi.fn(async () => json({ access_token: 'a2', expires_in: 3600, refresh_token: 'r2' }));
    vi.stubGlobal('fetch', fetchMock);
    expect(await getAccessToken()).toBe('a2');
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/token');
    const body = new URLSearchParams(String(init.body));
    expect(body.get('grant_type')).toBe('refresh_token');
    expect(body.get('refresh_token')).toBe('refresh-a1');
    expect(body.get('client_id')).toBe('segue-web');
    expect(loadTokens()?.refreshToken).toBe('r2');
  });

  it('does not refresh after a 401 when another tab already stored a new token', async () => {
    saveTokens(stored('a2', 3_600_000));
    const fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
    expect(await renewAfterUnauthorized('a1')).toBe('a2');
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('refreshes only once for concurrent callers', async () => {
    saveTokens(stored('a1', 1000));
    const fetchMock = vi.fn(async () => json({ access_token: 'a2', expires_in: 3600, refresh_token: 'r2' }));
    vi.stubGlobal('fetch', fetchMock);
    const tokens = await Promise.all([getAccessToken(), getAccessToken(), renewAfterUnauthorized('a1')]);
    expect(tokens).toEqual(['a2', 'a2', 'a2']);
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  it('expires the session when the refresh token is refused', async () => {
    saveTokens(stored('a1', 1000));
    vi.stubGlobal('fetch', vi.fn(async () => json({ error: 'invalid_grant', error_description: 'revoked' }, 400)));
    await expect(getAccessToken()).rejects.toBeInstanceOf(SessionExpiredError);
    expect(loadTokens()).toBeNull();
    expect(loadLogoutReason()).toBe('expired');
    expect(getSessionState()).toEqual({ status: 'anonymous', reason: 'expired' });
  });

  it('keeps the session when the server is unreachable during a refresh', async () => {
    saveTokens(stored('a1', 1000));
    vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('Failed to fetch'); }));
    await expect(getAccessToken()).rejects.toMatchObject({ name: 'NetworkError' });
    expect(loadTokens()?.accessToken).toBe('a1');
  });
});
