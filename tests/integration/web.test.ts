// The server side of the web player: its files, client-side routes, the first-party OAuth
// client and Segue's "recently added" list. A small site written here stands in for web/dist,
// so these tests do not depend on the app's build; the end-to-end tests use the real one.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startFixture, startServer, tempDir, type Fixture } from "../lib/server.ts";
import { api, exchangeCode, form, isSpotifyError, login, postAuthorize, ALL_SCOPES } from "../lib/oauth.ts";
import { DEMO_ALBUMS } from "../lib/demo.ts";

let f: Fixture;
let site: string;
const INDEX = "<!doctype html><title>Segue test site</title><script type=module src=/assets/app-1a2b.js></script>";
const webClient = () => ({ id: "segue-web", redirectUri: `${f.server.base}/callback`, isPublic: true });

before(async () => {
  // The site is a folder next to a file it must never serve: "/../secret.txt" would reach the
  // file if a URL were ever joined onto the site's path.
  const root = tempDir("segue-site-");
  site = path.join(root, "site");
  fs.mkdirSync(path.join(site, "assets"), { recursive: true });
  fs.writeFileSync(path.join(root, "secret.txt"), "do not serve me");
  fs.writeFileSync(path.join(site, "index.html"), INDEX);
  fs.writeFileSync(path.join(site, "assets", "app-1a2b.js"), "console.log('segue');\n");
  fs.writeFileSync(path.join(site, "favicon.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
  f = await startFixture(["--web", site]);
});

after(async () => {
  await f?.server.stop();
});

describe("web player files", () => {
  it("serves index.html at / and for client-side routes, with a strict CSP", async () => {
    for (const p of ["/", "/album/0123456789abcdefghijkl", "/library", "/callback?code=x&state=y", "/queue"]) {
      const res = await fetch(f.server.url(p));
      assert.equal(res.status, 200, p);
      assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
      assert.equal(await res.text(), INDEX);
      const csp = res.headers.get("content-security-policy") ?? "";
      assert.match(csp, /default-src 'self'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(res.headers.get("cache-control"), "no-cache");
    }
  });

  it("serves hashed assets as immutable and answers If-None-Match with 304", async () => {
    const res = await fetch(f.server.url("/assets/app-1a2b.js"));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.equal(await res.text(), "console.log('segue');\n");
    const etag = res.headers.get("etag")!;
    const again = await fetch(f.server.url("/assets/app-1a2b.js"), { headers: { "if-none-match": etag } });
    assert.equal(again.status, 304);
    const head = await fetch(f.server.url("/favicon.svg"), { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-type"), "image/svg+xml");
  });

  it("answers unknown API paths and missing files with a 404 in the API's shape, not the app", async () => {
    for (const p of ["/v1/nothing-here", "/assets/missing-0000.js", "/robots.txt", "/api/nope",
                     "/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt"]) {
      const res = await fetch(f.server.url(p));
      assert.equal(res.status, 404, p);
      const text = await res.text();
      assert.ok(!text.includes("do not serve me"), p);
      const body = JSON.parse(text);
      assert.ok(isSpotifyError(body, 404), `${p}: ${JSON.stringify(body)}`);
    }
    const post = await fetch(f.server.url("/library"), { method: "POST" });
    assert.equal(post.status, 404);
  });

  it("tells the app its client id and scopes", async () => {
    const res = await fetch(f.server.url("/web-config.json"));
    assert.equal(res.status, 200);
    const cfg = await res.json();
    assert.equal(cfg.client_id, "segue-web");
    assert.equal(cfg.redirect_path, "/callback");
    for (const s of ["streaming", "user-library-modify", "user-read-recently-played"]) assert.ok(cfg.scopes.split(" ").includes(s), s);
  });

  it("refuses to start when a configured web directory has no index.html", async () => {
    await assert.rejects(startServer({ extraArgs: ["--web", tempDir("segue-empty-")] }), /index\.html/);
  });
});

describe("the web player's OAuth client", () => {
  it("logs in with PKCE and redirects to this server's own /callback", async () => {
    const a = await postAuthorize(f.server.base, { client: webClient() as any, user: f.free, scope: "user-read-private streaming" });
    assert.equal(a.status, 302, a.body.slice(0, 300));
    assert.ok(a.location!.startsWith(`${f.server.base}/callback?code=`), a.location!);
    const t = await exchangeCode(f.server.base, webClient() as any, a.code!, a.verifier);
    assert.equal(t.status, 200, JSON.stringify(t.body));
    const me = await api(f.server.base, "/v1/me", { token: t.body.access_token });
    assert.equal(me.status, 200);
    assert.equal(me.body.id, f.free.id);
  });

  it("never redirects anywhere else and requires PKCE", async () => {
    for (const redirectUri of ["http://evil.example/callback", `${f.server.base}/callback/x`, "/callback",
                               `${f.server.base.replace("127.0.0.1", "localhost")}/callback`]) {
      const a = await postAuthorize(f.server.base, { client: webClient() as any, user: f.free, redirectUri });
      assert.equal(a.status, 400, redirectUri);
      assert.equal(a.location, null);
    }
    const noPkce = await postAuthorize(f.server.base, { client: webClient() as any, user: f.free, pkce: false });
    assert.equal(noPkce.status, 302);
    assert.match(noPkce.location!, /error=invalid_request/);
  });

  it("allows the login form to redirect to a third-party client's origin (Chromium applies form-action to it)", async () => {
    const q = new URLSearchParams({ client_id: f.publicClient.id, redirect_uri: f.publicClient.redirectUri, response_type: "code",
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", code_challenge_method: "S256" });
    const res = await fetch(f.server.url(`/authorize?${q}`));
    assert.equal(res.status, 200);
    const csp = res.headers.get("content-security-policy")!;
    assert.ok(csp.includes(`form-action 'self' ${new URL(f.publicClient.redirectUri).origin}`), csp);
  });
});

describe("recently added albums", () => {
  it("lists every album once, with Spotify's paging", async () => {
    const token = (await login(f.server.base, f.confidential, f.free, ALL_SCOPES)).access_token;
    const all = await api(f.server.base, "/v1/browse/recently-added?limit=50", { token });
    assert.equal(all.status, 200);
    assert.equal(all.body.albums.total, DEMO_ALBUMS.length);
    assert.deepEqual(new Set(all.body.albums.items.map((a: any) => a.name)), new Set(DEMO_ALBUMS.map((a) => a.name)));
    const page = await api(f.server.base, "/v1/browse/recently-added?limit=2&offset=1", { token });
    assert.deepEqual(page.body.albums.items.map((a: any) => a.id), all.body.albums.items.slice(1, 3).map((a: any) => a.id));
    assert.ok(page.body.albums.next.includes("offset=3"));
    const releases = await api(f.server.base, "/v1/browse/new-releases?limit=50", { token });
    const dates = releases.body.albums.items.map((a: any) => a.release_date);
    assert.deepEqual(dates, [...dates].sort().reverse(), "new releases are newest release first");
    const bad = await api(f.server.base, "/v1/browse/recently-added?limit=0", { token });
    assert.equal(bad.status, 400);
  });
});
