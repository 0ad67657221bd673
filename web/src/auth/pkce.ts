// PKCE (RFC 7636) helpers: a random code verifier, its S256 challenge and a random state value.
// Without a secure context (plain http to a LAN address) browsers hide crypto.subtle; then
// @noble/hashes (audited, dependency-free) computes the digest.
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

export function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** base64url of `byteCount` random bytes: 32 bytes give the 43-character verifier RFC 7636 suggests. */
export function randomToken(byteCount = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(byteCount)));
}

export async function sha256(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle) return new Uint8Array(await subtle.digest('SHA-256', data));
  return nobleSha256(data);
}

/** code_challenge = BASE64URL(SHA256(ASCII(code_verifier))). */
export async function s256Challenge(verifier: string): Promise<string> {
  return base64url(await sha256(new TextEncoder().encode(verifier)));
}
