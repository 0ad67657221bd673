// Segue caching edge: checks an edge token (docs/formats/edge-token.md) without asking the
// origin. Used by edge.conf (rendered by deploy/render) as `js_set $edge_denied edge.denied`:
// the value is "" when the request may be served, else the reason it is refused (a 403).
//
//   token   = base64url(payload) "." base64url(HMAC-SHA256(edge_key, payload))
//   payload = "e1." file_id "." user_id "." expiry_unix
//
// The key is the edge key's text ($edge_key, from edge-key.conf). The signature is compared in
// time independent of where it differs; then the version, that the token's file is the one in
// the URI, and that it has not expired.
import crypto from 'crypto';

function equalTimingSafe(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function denied(r) {
  const m = /^\/audio\/([0-9A-Za-z]{22})$/.exec(r.uri);
  if (!m) return 'Unknown file';
  const token = r.args.token;
  if (!token) return 'Missing stream token';
  if (typeof token !== 'string' || token.length > 512) return 'malformed edge token';
  const dot = token.indexOf('.');
  if (dot <= 0) return 'malformed edge token';
  const b64 = /^[A-Za-z0-9_-]+$/;
  const payloadText = token.slice(0, dot);
  const mac = token.slice(dot + 1);
  if (!b64.test(payloadText) || !b64.test(mac)) return 'malformed edge token';
  const key = r.variables.edge_key;
  if (!key) return 'this edge has no edge key';
  let payload;
  try {
    payload = Buffer.from(payloadText, 'base64url').toString();
  } catch (e) {
    return 'malformed edge token';
  }
  const expected = crypto.createHmac('sha256', key).update(payload).digest('base64url');
  if (!equalTimingSafe(mac, expected)) return 'invalid edge token signature';
  const parts = payload.split('.');
  if (parts.length !== 4 || parts[0] !== 'e1') return 'unknown edge token version';
  if (parts[1] !== m[1]) return 'edge token is for another file';
  if (!/^[0-9]{1,12}$/.test(parts[3])) return 'malformed edge token expiry';
  if (Math.floor(Date.now() / 1000) >= Number(parts[3])) return 'edge token expired';
  return '';
}

export default { denied };
