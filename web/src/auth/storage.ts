// Where the session lives: tokens in localStorage (shared by tabs, survives reloads), the pending
// PKCE login in sessionStorage (it only matters to the tab that started it).

export interface StoredTokens {
  accessToken: string;
  refreshToken: string;
  /** Epoch ms at which the access token stops working. */
  expiresAt: number;
  /** How long the access token was valid when issued, in ms. */
  lifetimeMs: number;
  scope: string;
  clientId: string;
}

export interface PendingLogin {
  state: string;
  verifier: string;
  redirectUri: string;
  clientId: string;
  returnTo: string;
}

export type LogoutReason = 'expired' | 'logout';

export const TOKENS_KEY = 'segue.tokens';
export const REASON_KEY = 'segue.logout-reason';
const PENDING_KEY = 'segue.pending-login';

function readJson(storage: Storage, key: string): unknown {
  try {
    const text = storage.getItem(key);
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

function isTokens(value: unknown): value is StoredTokens {
  if (!value || typeof value !== 'object') return false;
  const t = value as Record<string, unknown>;
  return typeof t.accessToken === 'string' && typeof t.refreshToken === 'string' &&
    typeof t.expiresAt === 'number' && typeof t.lifetimeMs === 'number' && typeof t.clientId === 'string';
}

export function loadTokens(): StoredTokens | null {
  const value = readJson(localStorage, TOKENS_KEY);
  return isTokens(value) ? value : null;
}

export function saveTokens(tokens: StoredTokens): void {
  localStorage.setItem(TOKENS_KEY, JSON.stringify(tokens));
  localStorage.removeItem(REASON_KEY);
}

export function clearTokens(reason: LogoutReason): void {
  localStorage.removeItem(TOKENS_KEY);
  localStorage.setItem(REASON_KEY, reason);
}

export function loadLogoutReason(): LogoutReason | null {
  const reason = localStorage.getItem(REASON_KEY);
  return reason === 'expired' || reason === 'logout' ? reason : null;
}

export function savePendingLogin(pending: PendingLogin): void {
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
}

export function hasPendingLogin(): boolean {
  return sessionStorage.getItem(PENDING_KEY) !== null;
}

/** Returns the pending login and forgets it: a state value is good for one callback only. */
export function takePendingLogin(): PendingLogin | null {
  const value = readJson(sessionStorage, PENDING_KEY) as PendingLogin | null;
  sessionStorage.removeItem(PENDING_KEY);
  return value && typeof value.state === 'string' && typeof value.verifier === 'string' ? value : null;
}
