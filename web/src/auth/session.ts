// The login session: who is logged in, the access token for API calls (renewed before expiry and
// after a 401, one refresh at a time across tabs), the PKCE login and callback, logout.
import { ApiError, NetworkError, SessionExpiredError } from '../api/errors';
import { withRefreshLock } from './lock';
import { exchangeCode, fetchWebConfig, refreshGrant, revoke } from './oauth';
import { randomToken, s256Challenge } from './pkce';
import {
  clearTokens, loadLogoutReason, loadTokens, REASON_KEY, saveTokens, savePendingLogin,
  takePendingLogin, TOKENS_KEY, type LogoutReason, type StoredTokens,
} from './storage';
import { needsRefresh, refreshStillNeeded, tokensFromResponse } from './tokens';

export type SessionState =
  | { status: 'authenticated' }
  | { status: 'anonymous'; reason: LogoutReason | null };

type Listener = (state: SessionState) => void;

function currentState(): SessionState {
  return loadTokens() ? { status: 'authenticated' } : { status: 'anonymous', reason: loadLogoutReason() };
}

let state: SessionState = currentState();
const listeners = new Set<Listener>();

function publish(): void {
  const next = currentState();
  if (next.status === state.status && (next.status === 'authenticated' ||
      (state.status === 'anonymous' && next.reason === state.reason))) return;
  state = next;
  for (const listener of listeners) listener(state);
}

// Another tab logged in, refreshed, logged out or saw the session expire.
if (typeof window !== 'undefined') {
  window.addEventListener('storage', (event) => {
    if (event.key === null || event.key === TOKENS_KEY || event.key === REASON_KEY) publish();
  });
}

export function getSessionState(): SessionState {
  return state;
}

export function subscribeSession(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Forgets the tokens because the server refused them; every tab goes back to the login page. */
export function expireSession(): void {
  clearTokens('expired');
  publish();
}

function isRefusedGrant(error: unknown): boolean {
  return error instanceof ApiError && error.status >= 400 && error.status < 500 &&
    (error.code === 'invalid_grant' || error.code === 'invalid_client' || error.status === 400 || error.status === 401);
}

/**
 * Renews the tokens unless another tab already did while this one waited for the lock.
 * `staleAccessToken` is the token this tab found expiring or had rejected.
 */
async function refresh(staleAccessToken: string): Promise<StoredTokens> {
  return withRefreshLock(async () => {
    const stored = loadTokens();
    if (!stored) {
      publish();
      throw new SessionExpiredError();
    }
    if (!refreshStillNeeded(stored, staleAccessToken, Date.now())) return stored;
    try {
      const response = await refreshGrant(stored.refreshToken, stored.clientId);
      const tokens = tokensFromResponse(response, stored.clientId, Date.now(), stored);
      saveTokens(tokens);
      return tokens;
    } catch (error) {
      if (isRefusedGrant(error)) {
        expireSession();
        throw new SessionExpiredError();
      }
      throw error;
    }
  });
}

/** A usable access token, renewed first if it is about to expire. */
export async function getAccessToken(): Promise<string> {
  const tokens = loadTokens();
  if (!tokens) {
    publish();
    throw new SessionExpiredError();
  }
  if (!needsRefresh(tokens, Date.now())) return tokens.accessToken;
  return (await refresh(tokens.accessToken)).accessToken;
}

/** After a 401 with `rejectedToken`: a new token (or the one another tab already got). */
export async function renewAfterUnauthorized(rejectedToken: string): Promise<string> {
  return (await refresh(rejectedToken)).accessToken;
}

/** True while this tab waits for the answer to a login it started. */
export { hasPendingLogin } from './storage';

export function redirectUri(path = '/callback'): string {
  return location.origin + path;
}

/** Starts the authorization code flow with PKCE; the browser leaves for /authorize. */
export async function startLogin(returnTo: string): Promise<void> {
  const config = await fetchWebConfig();
  const verifier = randomToken(32);
  const loginState = randomToken(16);
  const challenge = await s256Challenge(verifier);
  const uri = redirectUri(config.redirect_path);
  savePendingLogin({ state: loginState, verifier, redirectUri: uri, clientId: config.client_id, returnTo });
  const query = new URLSearchParams({
    client_id: config.client_id,
    response_type: 'code',
    redirect_uri: uri,
    scope: config.scopes,
    state: loginState,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  location.assign(`/authorize?${query}`);
}

export class LoginError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoginError';
  }
}

let completing: { search: string; result: Promise<string> } | null = null;

/** Handles /callback?code&state (or ?error): stores the tokens, returns where to go next. */
export function completeLogin(search: string): Promise<string> {
  if (completing?.search === search) return completing.result; // a second render, same callback
  const result = exchange(search);
  completing = { search, result };
  return result;
}

async function exchange(search: string): Promise<string> {
  const params = new URLSearchParams(search);
  const pending = takePendingLogin();
  if (!pending || params.get('state') !== pending.state) {
    throw new LoginError('This login response does not match a login started in this tab. Log in again.');
  }
  const error = params.get('error');
  if (error) {
    throw new LoginError(error === 'access_denied'
      ? 'Access was denied, so you are not logged in.'
      : `The login failed (${error}). Log in again.`);
  }
  const code = params.get('code');
  if (!code) throw new LoginError('The login response has no authorization code. Log in again.');
  try {
    const response = await exchangeCode({
      code, redirectUri: pending.redirectUri, clientId: pending.clientId, verifier: pending.verifier,
    });
    saveTokens(tokensFromResponse(response, pending.clientId, Date.now()));
  } catch (cause) {
    if (cause instanceof NetworkError) throw cause;
    throw new LoginError(cause instanceof ApiError
      ? `The login failed: ${cause.message}. Log in again.`
      : 'The login failed. Log in again.');
  }
  publish();
  return pending.returnTo && pending.returnTo.startsWith('/') && !pending.returnTo.startsWith('//')
    ? pending.returnTo : '/';
}

/** Revokes the refresh token and forgets the session. `beforeRevoke` stops playback first. */
export async function logout(beforeRevoke?: () => unknown): Promise<void> {
  try {
    await beforeRevoke?.();
  } catch {
    // Logging out goes on even if the player could not flush.
  }
  const tokens = loadTokens();
  if (tokens) await revoke(tokens.refreshToken, tokens.clientId);
  clearTokens('logout');
  publish();
}
