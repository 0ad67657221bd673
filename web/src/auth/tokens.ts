// Decisions about token lifetimes, kept free of I/O so that they can be tested with a fixed clock.
import type { StoredTokens } from './storage';

export interface TokenResponse {
  access_token: string;
  token_type?: string;
  expires_in: number;
  refresh_token?: string;
  scope?: string;
}

const MAX_MARGIN_MS = 60_000;

/** How long before expiry a token is renewed: a minute, or a fifth of a short lifetime. */
export function refreshMarginMs(lifetimeMs: number): number {
  return Math.min(MAX_MARGIN_MS, Math.max(0, lifetimeMs) / 5);
}

/** True when the access token should be renewed before it is used at `now`. */
export function needsRefresh(tokens: StoredTokens, now: number): boolean {
  return now >= tokens.expiresAt - refreshMarginMs(tokens.lifetimeMs);
}

/**
 * Whether a refresh is still needed once the refresh lock is held: another tab may have renewed
 * the tokens while this one waited, in which case the stored access token differs from the one
 * this tab found stale (or rejected) and is fresh.
 */
export function refreshStillNeeded(stored: StoredTokens, staleAccessToken: string, now: number): boolean {
  return stored.accessToken === staleAccessToken || needsRefresh(stored, now);
}

export function tokensFromResponse(
  response: TokenResponse, clientId: string, now: number, previous?: StoredTokens,
): StoredTokens {
  if (typeof response.access_token !== 'string' || typeof response.expires_in !== 'number') {
    throw new Error('The token response is missing access_token or expires_in.');
  }
  const refreshToken = response.refresh_token ?? previous?.refreshToken;
  if (!refreshToken) throw new Error('The token response has no refresh_token.');
  const lifetimeMs = Math.max(0, response.expires_in) * 1000;
  return {
    accessToken: response.access_token,
    refreshToken,
    expiresAt: now + lifetimeMs,
    lifetimeMs,
    scope: response.scope ?? previous?.scope ?? '',
    clientId,
  };
}
