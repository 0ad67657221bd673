import { describe, expect, it } from 'vitest';
import type { StoredTokens } from './storage';
import { needsRefresh, refreshMarginMs, refreshStillNeeded, tokensFromResponse } from './tokens';

const NOW = 1_700_000_000_000;

function tokens(expiresInMs: number, lifetimeMs = 3_600_000, accessToken = 'a1'): StoredTokens {
  return { accessToken, refreshToken: 'r1', expiresAt: NOW + expiresInMs, lifetimeMs, scope: '', clientId: 'segue-web' };
}

describe('token expiry decisions', () => {
  it('renews an hour-long token a minute before it expires', () => {
    expect(refreshMarginMs(3_600_000)).toBe(60_000);
    expect(needsRefresh(tokens(61_000), NOW)).toBe(false);
    expect(needsRefresh(tokens(59_000), NOW)).toBe(true);
    expect(needsRefresh(tokens(-1), NOW)).toBe(true);
  });

  it('renews a short-lived token a fifth of its lifetime early', () => {
    expect(refreshMarginMs(10_000)).toBe(2000);
    expect(needsRefresh(tokens(3000, 10_000), NOW)).toBe(false);
    expect(needsRefresh(tokens(1500, 10_000), NOW)).toBe(true);
  });

  it('skips the refresh when another tab already renewed the token', () => {
    const renewed = tokens(3_600_000, 3_600_000, 'a2');
    expect(refreshStillNeeded(renewed, 'a1', NOW)).toBe(false);
    expect(refreshStillNeeded(renewed, 'a2', NOW)).toBe(true); // the stored one was rejected
    expect(refreshStillNeeded(tokens(10_000, 3_600_000, 'a2'), 'a1', NOW)).toBe(true); // renewed but expiring
  });

  it('builds stored tokens from a token response', () => {
    const stored = tokensFromResponse(
      { access_token: 'x', expires_in: 3600, refresh_token: 'y', scope: 'streaming' }, 'segue-web', NOW);
    expect(stored).toEqual({
      accessToken: 'x', refreshToken: 'y', expiresAt: NOW + 3_600_000, lifetimeMs: 3_600_000,
      scope: 'streaming', clientId: 'segue-web',
    });
  });

  it('keeps the previous refresh token when the response has none', () => {
    const stored = tokensFromResponse({ access_token: 'x', expires_in: 60 }, 'c', NOW, tokens(0));
    expect(stored.refreshToken).toBe('r1');
    expect(() => tokensFromResponse({ access_token: 'x', expires_in: 60 }, 'c', NOW)).toThrow();
  });
});
