import { describe, expect, it } from 'vitest';
import { base64url, randomToken, s256Challenge } from './pkce';
import { sha256Portable } from './sha256';

// RFC 7636, appendix B: 32 octets, their base64url encoding as the verifier, and its challenge.
const RFC_OCTETS = [116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212,
  37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121];
const RFC_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const RFC_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');

describe('PKCE', () => {
  it('encodes the RFC 7636 appendix B octets as its verifier', () => {
    expect(base64url(new Uint8Array(RFC_OCTETS))).toBe(RFC_VERIFIER);
  });

  it('derives the RFC 7636 appendix B challenge', async () => {
    expect(await s256Challenge(RFC_VERIFIER)).toBe(RFC_CHALLENGE);
  });

  it('derives the same challenge without crypto.subtle', () => {
    const digest = sha256Portable(new TextEncoder().encode(RFC_VERIFIER));
    expect(base64url(digest)).toBe(RFC_CHALLENGE);
  });

  it('hashes the FIPS 180-4 examples', () => {
    const enc = new TextEncoder();
    expect(hex(sha256Portable(enc.encode('abc'))))
      .toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hex(sha256Portable(enc.encode(''))))
      .toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(sha256Portable(enc.encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))))
      .toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  it('makes 43-character url-safe verifiers that differ', () => {
    const a = randomToken(32);
    const b = randomToken(32);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
  });

  it('encodes base64url without padding', () => {
    expect(base64url(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
  });
});
