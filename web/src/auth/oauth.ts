// The OAuth endpoints the web player uses as a public client: /web-config.json, /api/token,
// /api/revoke. Failures become ApiError (with the OAuth error code) or NetworkError.
import { errorFromResponse, NetworkError } from '../api/errors';
import type { TokenResponse } from './tokens';

export interface WebConfig {
  client_id: string;
  redirect_path: string;
  scopes: string;
}

const DEFAULT_SCOPES = [
  'user-read-private', 'user-read-email', 'user-library-read', 'user-library-modify',
  'user-read-recently-played', 'user-modify-playback-state', 'user-read-playback-state', 'streaming',
  'playlist-read-private', 'playlist-read-collaborative', 'playlist-modify-private',
  'playlist-modify-public', 'user-top-read',
].join(' ');

async function send(input: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(input, init);
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new NetworkError();
  }
}

export async function fetchWebConfig(): Promise<WebConfig> {
  const response = await send('/web-config.json', { cache: 'no-store' });
  if (!response.ok) throw await errorFromResponse(response);
  const config = (await response.json()) as Partial<WebConfig>;
  if (!config.client_id) throw new Error('The server did not say which client_id the web player uses.');
  return {
    client_id: config.client_id,
    redirect_path: config.redirect_path || '/callback',
    scopes: config.scopes || DEFAULT_SCOPES,
  };
}

async function postForm(path: string, fields: Record<string, string>, keepalive = false): Promise<Response> {
  return send(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    keepalive,
  });
}

async function tokenRequest(fields: Record<string, string>): Promise<TokenResponse> {
  const response = await postForm('/api/token', fields);
  if (!response.ok) throw await errorFromResponse(response);
  return (await response.json()) as TokenResponse;
}

export function exchangeCode(args: {
  code: string; redirectUri: string; clientId: string; verifier: string;
}): Promise<TokenResponse> {
  return tokenRequest({
    grant_type: 'authorization_code',
    code: args.code,
    redirect_uri: args.redirectUri,
    client_id: args.clientId,
    code_verifier: args.verifier,
  });
}

export function refreshGrant(refreshToken: string, clientId: string): Promise<TokenResponse> {
  return tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId });
}

/** Best effort: logging out locally must not wait on, or fail because of, the server. */
export async function revoke(token: string, clientId: string): Promise<void> {
  try {
    await postForm('/api/revoke', { token, client_id: clientId, token_type_hint: 'refresh_token' }, true);
  } catch {
    // The tokens are forgotten locally either way.
  }
}
