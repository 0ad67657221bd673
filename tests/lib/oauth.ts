// OAuth 2.0 authorization code + PKCE against the server's login form, and small HTTP helpers.
import * as crypto from "node:crypto";
import type { Client, User } from "./server.ts";

export interface TokenSet {
  access_token: string;
  refresh_token?: string;
  token_type: string;
  expires_in: number;
  scope: string;
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = crypto.randomBytes(48).toString("base64url"); // 64 unreserved chars
  const challenge = crypto.createHash("sha256").update(verifier).digest("base64url");
  return { verifier, challenge };
}

export function form(fields: Record<string, string | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) p.set(k, v);
  return p.toString();
}

export interface AuthorizeParams {
  client: Client;
  user: User;
  scope?: string;
  redirectUri?: string;
  state?: string;
  /** false: send no code_challenge. */
  pkce?: boolean;
  password?: string;
}

export interface AuthorizeResult {
  status: number;
  location: string | null;
  body: string;
  code?: string;
  verifier?: string;
}

/** POSTs the login form to /authorize (action=approve) and reads the redirect. */
export async function postAuthorize(base: string, p: AuthorizeParams): Promise<AuthorizeResult> {
  const pair = p.pkce === false ? undefined : pkcePair();
  const state = p.state ?? crypto.randomBytes(8).toString("hex");
  const res = await fetch(base + "/authorize", {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form({
      client_id: p.client.id,
      redirect_uri: p.redirectUri ?? p.client.redirectUri,
      response_type: "code",
      scope: p.scope ?? "",
      state,
      code_challenge: pair?.challenge,
      code_challenge_method: pair ? "S256" : undefined,
      username: p.user.name,
      password: p.password ?? p.user.password,
      action: "approve",
    }),
  });
  const location = res.headers.get("location");
  const body = await res.text();
  let code: string | undefined;
  if (location) {
    const u = new URL(location);
    code = u.searchParams.get("code") ?? undefined;
    if (code && u.searchParams.get("state") !== state) throw new Error(`state not echoed: ${location}`);
  }
  return { status: res.status, location, body, code, verifier: pair?.verifier };
}

export interface TokenResponse {
  status: number;
  body: any;
  headers: Headers;
}

export async function postToken(base: string, fields: Record<string, string | undefined>, basic?: { id: string; secret: string }): Promise<TokenResponse> {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (basic) headers.authorization = "Basic " + Buffer.from(`${basic.id}:${basic.secret}`).toString("base64");
  const res = await fetch(base + "/api/token", { method: "POST", headers, body: form(fields) });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* keep text */
  }
  return { status: res.status, body, headers: res.headers };
}

export async function exchangeCode(base: string, client: Client, code: string, verifier?: string, redirectUri?: string): Promise<TokenResponse> {
  return postToken(base, {
    grant_type: "authorization_code",
    code,
    redirect_uri: redirectUri ?? client.redirectUri,
    code_verifier: verifier,
    client_id: client.id,
    client_secret: client.secret,
  });
}

export async function refresh(base: string, client: Client, refreshToken: string): Promise<TokenResponse> {
  return postToken(base, {
    grant_type: "refresh_token",
    refresh_token: refreshToken,
    client_id: client.id,
    client_secret: client.secret,
  });
}

/** The whole authorization-code + PKCE flow: a user's access and refresh token. */
export async function login(base: string, client: Client, user: User, scope: string): Promise<TokenSet> {
  const a = await postAuthorize(base, { client, user, scope });
  if (a.status !== 302 || !a.code) throw new Error(`authorize failed: ${a.status} ${a.location} ${a.body.slice(0, 300)}`);
  const t = await exchangeCode(base, client, a.code, a.verifier);
  if (t.status !== 200) throw new Error(`token exchange failed: ${t.status} ${JSON.stringify(t.body)}`);
  return t.body as TokenSet;
}

export const ALL_SCOPES = [
  "user-read-private",
  "user-read-email",
  "user-library-read",
  "user-library-modify",
  "user-read-recently-played",
  "user-top-read",
  "user-modify-playback-state",
  "user-read-playback-state",
  "playlist-read-private",
  "playlist-read-collaborative",
  "playlist-modify-public",
  "playlist-modify-private",
  "ugc-image-upload",
].join(" ");

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** fetch + JSON parse (when the body is JSON). */
export async function api<T = any>(base: string, p: string, init: RequestInit & { token?: string } = {}): Promise<ApiResponse<T>> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  if (init.body && typeof init.body === "string" && !headers.has("content-type")) headers.set("content-type", "application/json");
  const res = await fetch(base + p, { ...init, headers, redirect: "manual" });
  const text = await res.text();
  let body: any = undefined;
  if ((res.headers.get("content-type") ?? "").includes("json") && text.length > 0) body = JSON.parse(text);
  return { status: res.status, headers: res.headers, body, text };
}

/** Asserts Spotify's regular error object: {"error": {"status": N, "message": "..."}}. */
export function isSpotifyError(body: any, status: number): boolean {
  return (
    body !== null &&
    typeof body === "object" &&
    typeof body.error === "object" &&
    body.error.status === status &&
    typeof body.error.message === "string" &&
    body.error.message.length > 0
  );
}

/** The URIs of every track on the newest `albums` albums of the catalog, album by album. */
export async function catalogTrackUris(base: string, token: string, albums = 50): Promise<string[]> {
  const out: string[] = [];
  const nr = await api(base, `/v1/browse/new-releases?limit=${albums}`, { token });
  for (const a of nr.body.albums.items) {
    const full = await api(base, `/v1/albums/${a.id}`, { token });
    for (const t of full.body.tracks.items) out.push(t.uri);
  }
  return out;
}
