// Segue caching edge: checks an edge token (docs/formats/edge-token.md) without asking the
// origin. The fallback for edges without Segue's nginx module (deploy/nginx/module: the same
// checks and refusals in C; a cache HIT costs about 1.8x the CPU here); deploy/render
// --token-check njs.
// Used by edge.conf (rendered by deploy/render) as `js_set $edge_denied edge.denied`:
// the value is "" when the request may be served, else the reason it is refused (a 403).
//
//   token   = base64url(payload) "." base64url(HMAC-SHA256(edge_key, payload))
//   payload = "e1." file_id "." user_id "." expiry_unix
//
// The key is the edge key's text ($edge_key, from edge-key.conf). The signature is compared in
// time independent of where it differs; then the version, that the token's file is the one in
// the URI, and that it has not expired.
//
// This runs on every request an edge serves, cache HITs included, in njs's interpreter: it was
// half of a HIT's cost (docs/benchmarks.md "Edges"), so it avoids per-character loops and
// regular expressions where a cheaper equivalent exists (one expression for the token's shape,
// the MAC compared as 8 32-bit words of the decoded bytes, the expiry checked without one, the
// token read as $arg_token).
import crypto from 'crypto';

const PREFIX = '/audio/';
const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
// base64url of 32 bytes is 43 characters; the last one carries 2 spare bits, which must be zero
// (otherwise four spellings of one MAC would all decode to it).
const MAC_CHARS = 43;
const MAC_LAST = 'AEIMQUYcgkosw048';

// Equal iff `mac` (base64url text, 43 characters) encodes the 32 bytes `expected`; the time taken
// does not depend on where they differ.
function macMatches(mac, expected) {
  const got = Buffer.from(mac, 'base64url');
  if (got.length !== 32 || expected.length !== 32) return false;
  let diff = MAC_LAST.indexOf(mac.charAt(MAC_CHARS - 1)) < 0 ? 1 : 0;
  for (let i = 0; i < 32; i += 4) diff |= got.readUInt32BE(i) ^ expected.readUInt32BE(i);
  return diff === 0;
}

function denied(r) {
  const uri = r.uri;
  // edge.conf's location already matched /audio/ and 22 base62 characters; the file id is then
  // compared with the signed one.
  if (uri.length !== PREFIX.length + 22 || uri.slice(0, PREFIX.length) !== PREFIX) return 'Unknown file';
  // The raw argument (nginx's $arg_token, the first `token=`): cheaper than r.args, which parses
  // the whole query string into an object on every request. A token is base64url and one '.',
  // which nothing percent-encodes; a percent-encoded one is refused as malformed.
  const token = r.variables.arg_token;
  if (!token) return 'Missing stream token';
  if (typeof token !== 'string' || token.length > 512 || !TOKEN_SHAPE.test(token)) return 'malformed edge token';
  const dot = token.indexOf('.');
  const payloadText = token.slice(0, dot);
  const mac = token.slice(dot + 1);
  const key = r.variables.edge_key;
  if (!key) return 'this edge has no edge key';
  let payload;
  try {
    payload = Buffer.from(payloadText, 'base64url').toString();
  } catch (e) {
    return 'malformed edge token';
  }
  const expected = crypto.createHmac('sha256', key).update(payload).digest();
  if (mac.length !== MAC_CHARS || !macMatches(mac, expected)) return 'invalid edge token signature';
  const parts = payload.split('.');
  if (parts.length !== 4 || parts[0] !== 'e1') return 'unknown edge token version';
  if (uri.slice(PREFIX.length) !== parts[1]) return 'edge token is for another file';
  const expiryText = parts[3];
  const expiry = Number(expiryText);
  // Digits only, 1 to 12 of them: a canonical non-negative integer ("01", "1e3", " 1" fail).
  if (expiryText.length > 12 || !Number.isInteger(expiry) || expiry < 0 || String(expiry) !== expiryText) {
    return 'malformed edge token expiry';
  }
  if (Math.floor(Date.now() / 1000) >= expiry) return 'edge token expired';
  return '';
}

export default { denied };
