// Playback: stream tokens, quality by tier, HTTP ranges on the real files, path safety, and
// playback events with recently-played.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { listFiles, startFixture, type Fixture } from "../lib/server.ts";
import { ALL_SCOPES, api, isSpotifyError, login } from "../lib/oauth.ts";

let f: Fixture;
let freeToken: string;
let premiumToken: string;
const trackIds = new Map<string, string>();

before(async () => {
  f = await startFixture();
  freeToken = (await login(f.server.base, f.confidential, f.free, ALL_SCOPES)).access_token;
  premiumToken = (await login(f.server.base, f.confidential, f.premium, ALL_SCOPES)).access_token;
  const nr = await api(f.server.base, "/v1/browse/new-releases?limit=50", { token: freeToken });
  for (const a of nr.body.albums.items) {
    const tr = await api(f.server.base, `/v1/albums/${a.id}/tracks?limit=50`, { token: freeToken });
    for (const t of tr.body.items) trackIds.set(t.name, t.id);
  }
});

after(async () => {
  const exit = await f.server.stop();
  assert.equal(exit.code, 0);
});

async function play(title: string, token = freeToken, extra: object = {}) {
  return api(f.server.base, "/v1/me/player/play", {
    method: "POST",
    token,
    body: JSON.stringify({ track_id: trackIds.get(title), ...extra }),
  });
}

/** The demo library file the server streams for a play response, found by its extension and size. */
function fileOnDisk(playBody: any): Buffer {
  const candidates = listFiles(f.library).filter((p) => fs.statSync(p).size === playBody.size);
  assert.equal(candidates.length, 1, `exactly one file of ${playBody.size} bytes: ${candidates.join(", ")}`);
  return fs.readFileSync(candidates[0]);
}

function streamPath(playBody: any): string {
  const u = new URL(playBody.stream_urls[0]);
  return u.pathname + u.search;
}

describe("POST /v1/me/player/play", () => {
  it("returns stream URLs, a one-hour token and the track", async () => {
    const r = await play("Low Tide Letters");
    assert.equal(r.status, 200, r.text);
    const b = r.body;
    assert.ok(Array.isArray(b.stream_urls) && b.stream_urls.length >= 1);
    const u = new URL(b.stream_urls[0]);
    assert.equal(u.origin, f.server.base);
    assert.match(u.pathname, /^\/audio\/[0-9A-Za-z]{22}$/);
    assert.equal(u.searchParams.get("token"), b.token);
    assert.equal(typeof b.token, "string");
    assert.equal(b.expires_in, 3600);
    assert.equal(b.format, "vorbis");
    assert.equal(typeof b.bitrate, "number");
    assert.ok(b.duration_ms > 15_000 && b.duration_ms < 45_000);
    assert.equal(b.track.id, trackIds.get("Low Tide Letters"));
    assert.equal(b.track.name, "Low Tide Letters");
    assert.equal(b.duration_ms, b.track.duration_ms);
  });

  it("a player that resets the connection in the middle of a file body does not end the server", async () => {
    // The largest lossless file, read once whole so it is in the page cache: its body then goes
    // out with sendfile(2), which has no MSG_NOSIGNAL (SIGPIPE killed the server before).
    let best: any = null;
    for (const title of trackIds.keys()) {
      const r = await play(title, premiumToken, { quality: "lossless" });
      if (r.status === 200 && (!best || r.body.size > best.size)) best = r.body;
    }
    assert.ok(best && best.size > 1_000_000, `a file over 1 MB: ${JSON.stringify(best?.size)}`);
    const u = new URL(best.stream_urls[0]);
    assert.equal((await fetch(u)).status, 200);
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve, reject) => {
        const sock = net.connect(Number(u.port), "127.0.0.1", () => {
          sock.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
        });
        sock.once("data", () => {
          sock.resetAndDestroy();  // RST while the server is still sending
          resolve();
        });
        sock.once("error", reject);
      });
    }
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(f.server.running, `the server exited: ${f.server.proc.signalCode ?? f.server.proc.exitCode}`);
    assert.equal((await fetch(f.server.base + "/healthz")).status, 200);
  });

  it("a free user gets a file within the 160 kbps cap when one exists", async () => {
    const r = await play("Lanterns on the Pier");
    const q = r.body.quality;
    assert.equal(q.tier, "free");
    assert.equal(q.cap_kbps, 160);
    assert.equal(q.within_cap, true, JSON.stringify(q));
    assert.ok(r.body.bitrate <= 160, `bitrate ${r.body.bitrate}`);
    assert.match(q.note, /160 kbps cap/);
  });

  it("a free user asking for a 320 kbps-only track gets it transcoded within the cap (see transcoding.test.ts)", async () => {
    const r = await play("Compass Rose");
    assert.equal(r.status, 200);
    const q = r.body.quality;
    assert.equal(r.body.format, "vorbis");
    assert.equal(r.body.bitrate, 160);
    assert.equal(r.body.transcoded, true);
    assert.equal(q.within_cap, true);
  });

  it("when no format the client accepts fits the cap, the answer is a 403 naming the formats that would fit", async () => {
    const r = await play("Compass Rose", freeToken, { formats: ["mp3"] });
    assert.equal(r.status, 403, r.text);
    assert.ok(isSpotifyError(r.body, 403), r.text);
    assert.match(r.body.error.message, /160 kbps cap/);
    assert.match(r.body.error.message, /formats within the cap: .*vorbis/);
  });

  it("tier caps hold whatever formats a client lists: a free client accepting only FLAC gets no lossless file (issue 14)", async () => {
    const free = await play("Prism Bloom", freeToken, { formats: ["flac"] });
    assert.equal(free.status, 403, free.text);
    assert.ok(isSpotifyError(free.body, 403), free.text);
    assert.match(free.body.error.message, /lossless needs Premium/);
    assert.equal(free.body.token, undefined);
    const freeBoth = await play("Prism Bloom", freeToken, { formats: ["flac", "wav"], quality: "lossless" });
    assert.equal(freeBoth.status, 403, freeBoth.text);
    // Premium accepting only FLAC is asking for lossless, which Premium may have.
    const premium = await play("Prism Bloom", premiumToken, { formats: ["flac"] });
    assert.equal(premium.status, 200, premium.text);
    assert.equal(premium.body.format, "flac");
    assert.equal(premium.body.quality.lossless, true);
    assert.equal(premium.body.quality.within_cap, true);
  });

  it("premium has a 320 kbps cap; lossless is served to premium only when asked", async () => {
    const mp3 = await play("Compass Rose", premiumToken);
    assert.equal(mp3.body.quality.cap_kbps, 320);
    assert.equal(mp3.body.quality.within_cap, true);
    const flac = await play("Prism Bloom", premiumToken, { quality: "lossless" });
    assert.equal(flac.body.format, "flac");
    assert.equal(flac.body.quality.lossless, true);
    assert.equal(flac.body.quality.within_cap, true);
    const freeFlac = await play("Prism Bloom", freeToken, { quality: "lossless" });
    assert.notEqual(freeFlac.body.format, "flac", "a free user cannot stream lossless");
    assert.match(freeFlac.body.quality.note, /lossless needs Premium/);
  });

  it("bad requests: unknown track 404, malformed id 400, bad quality 400, unacceptable format 400", async () => {
    const unknown = await api(f.server.base, "/v1/me/player/play", { method: "POST", token: freeToken, body: JSON.stringify({ track_id: "0000000000000000000000" }) });
    assert.equal(unknown.status, 404);
    const bad = await api(f.server.base, "/v1/me/player/play", { method: "POST", token: freeToken, body: JSON.stringify({ track_id: "nope" }) });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /track_id/);
    const q = await play("Low Tide Letters", freeToken, { quality: "ultra" });
    assert.equal(q.status, 400);
    assert.match(q.body.error.message, /quality/);
    const fmt = await play("Low Tide Letters", freeToken, { formats: ["flac"] });
    assert.equal(fmt.status, 400);
    const notJson = await api(f.server.base, "/v1/me/player/play", { method: "POST", token: freeToken, body: "{nope" });
    assert.equal(notJson.status, 400);
  });

  it("needs user-modify-playback-state", async () => {
    const t = await login(f.server.base, f.confidential, f.free, "user-read-private");
    const r = await play("Low Tide Letters", t.access_token);
    assert.equal(r.status, 403);
  });
});

describe("GET /audio/{file_id}", () => {
  let body: any;
  let disk: Buffer;
  let p: string;
  before(async () => {
    body = (await play("Paper Satellites", premiumToken, { quality: "lossless" })).body;
    disk = fileOnDisk(body);
    p = streamPath(body);
  });

  it("the whole file equals the bytes on disk", async () => {
    const r = await fetch(f.server.base + p);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("accept-ranges"), "bytes");
    assert.equal(r.headers.get("content-type"), body.mime_type);
    assert.equal(Number(r.headers.get("content-length")), disk.length);
    const got = Buffer.from(await r.arrayBuffer());
    assert.ok(got.equals(disk), "body differs from the file on disk");
  });

  it("random closed, open and suffix ranges return the exact bytes with 206 and Content-Range", async () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const size = disk.length;
    const cases: [string, number, number][] = [
      ["bytes=0-0", 0, 0],
      [`bytes=${size - 1}-`, size - 1, size - 1],
      ["bytes=-1", size - 1, size - 1],
      [`bytes=0-${size + 1000}`, 0, size - 1],
      [`bytes=-${size + 10}`, 0, size - 1],
    ];
    for (let i = 0; i < 20; i++) {
      const a = rand(size);
      const b = a + rand(Math.min(size - a, 300_000));
      cases.push([`bytes=${a}-${b}`, a, b]);
      const o = rand(size);
      cases.push([`bytes=${o}-`, o, size - 1]);
      const s = 1 + rand(Math.min(size, 200_000));
      cases.push([`bytes=-${s}`, size - s, size - 1]);
    }
    for (const [range, first, last] of cases) {
      const r = await fetch(f.server.base + p, { headers: { range } });
      assert.equal(r.status, 206, range);
      assert.equal(r.headers.get("content-range"), `bytes ${first}-${last}/${size}`, range);
      const got = Buffer.from(await r.arrayBuffer());
      assert.equal(got.length, last - first + 1, range);
      assert.ok(got.equals(disk.subarray(first, last + 1)), `bytes differ for ${range}`);
    }
  });

  it("unsatisfiable ranges are 416 with Content-Range bytes */size", async () => {
    for (const range of [`bytes=${disk.length}-`, `bytes=${disk.length + 5}-${disk.length + 10}`, "bytes=-0"]) {
      const r = await fetch(f.server.base + p, { headers: { range } });
      assert.equal(r.status, 416, range);
      assert.equal(r.headers.get("content-range"), `bytes */${disk.length}`);
      await r.arrayBuffer();
    }
  });

  it("If-Range with the right ETag applies the range; a wrong ETag sends the whole file", async () => {
    const head = await fetch(f.server.base + p, { method: "HEAD" });
    const etag = head.headers.get("etag")!;
    assert.ok(etag);
    const ok = await fetch(f.server.base + p, { headers: { range: "bytes=10-19", "if-range": etag } });
    assert.equal(ok.status, 206);
    assert.ok(Buffer.from(await ok.arrayBuffer()).equals(disk.subarray(10, 20)));
    const stale = await fetch(f.server.base + p, { headers: { range: "bytes=10-19", "if-range": '"stale-etag"' } });
    assert.equal(stale.status, 200);
    assert.equal(stale.headers.get("content-range"), null);
    assert.ok(Buffer.from(await stale.arrayBuffer()).equals(disk));
  });

  it("HEAD has Content-Length and no body", async () => {
    const r = await fetch(f.server.base + p, { method: "HEAD" });
    assert.equal(r.status, 200);
    assert.equal(Number(r.headers.get("content-length")), disk.length);
    assert.equal((await r.arrayBuffer()).byteLength, 0);
    const rr = await fetch(f.server.base + p, { method: "HEAD", headers: { range: "bytes=5-9" } });
    assert.equal(rr.status, 206);
    assert.equal(Number(rr.headers.get("content-length")), 5);
  });

  it("a tampered token, another file's token and a missing token are 403", async () => {
    const u = new URL(f.server.base + p);
    const tok = u.searchParams.get("token")!;
    const fileId = u.pathname.split("/").pop()!;
    const flips = [0, Math.floor(tok.length / 2), tok.length - 1];
    for (const i of flips) {
      const c = tok[i] === "A" ? "B" : "A";
      const tampered = tok.slice(0, i) + c + tok.slice(i + 1);
      const r = await fetch(`${f.server.base}/audio/${fileId}?token=${encodeURIComponent(tampered)}`);
      assert.equal(r.status, 403, `flip at ${i}`);
      assert.ok(isSpotifyError(await r.json(), 403));
    }
    const other = (await play("Low Tide Letters")).body;
    const otherTok = new URL(other.stream_urls[0]).searchParams.get("token")!;
    const cross = await fetch(`${f.server.base}/audio/${fileId}?token=${encodeURIComponent(otherTok)}`);
    assert.equal(cross.status, 403);
    await cross.arrayBuffer();
    const none = await fetch(`${f.server.base}/audio/${fileId}`);
    assert.equal(none.status, 403);
    await none.arrayBuffer();
  });

  it("path-like file ids never return file contents", async () => {
    const tok = new URL(f.server.base + p).searchParams.get("token")!;
    const passwd = fs.existsSync("/etc/passwd") ? fs.readFileSync("/etc/passwd", "utf8").split("\n")[0] : "root:x:0:0";
    const attempts = [
      "/audio/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
      "/audio/../../etc/passwd",
      "/audio/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
      "/audio/%2e%2e/%2e%2e/etc/passwd",
      "/audio/..%5c..%5cetc%5cpasswd",
      "/audio/%252e%252e%252fetc%252fpasswd",
      "/audio/" + encodeURIComponent(path.join(f.library, "Harbor Lights")),
    ];
    for (const a of attempts) {
      for (const q of ["", `?token=${encodeURIComponent(tok)}`]) {
        const { status, body } = await rawGet(f.server.port, a + q);
        assert.ok([400, 403, 404].includes(status), `${a}${q}: status ${status}`);
        assert.ok(!body.includes(passwd), `${a} leaked /etc/passwd`);
        assert.ok(!body.includes("OggS") && !body.includes("fLaC"), `${a} leaked audio`);
      }
    }
  });
});

/** A raw HTTP/1.1 GET, so the path reaches the server exactly as written (fetch normalises "..").*/
function rawGet(port: number, target: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1");
    let data = "";
    sock.setEncoding("latin1");
    sock.on("data", (d: string) => (data += d));
    sock.on("error", reject);
    sock.on("end", () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      resolve({ status: m ? Number(m[1]) : 0, body: data });
    });
    sock.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  });
}

describe("playback events and recently-played", () => {
  it("track_start/track_end are listed by recently-played with cursor paging", async () => {
    const user = await login(f.server.base, f.confidential, f.premium, ALL_SCOPES);
    const titles = ["Tram Lines", "Prism Bloom", "Low Tide Letters"];
    const now = Date.now();
    const events: object[] = [];
    titles.forEach((t, i) => {
      const start = now - 600_000 + i * 60_000;
      events.push({ type: "track_start", track_id: trackIds.get(t), position_ms: 0, timestamp: start });
      events.push({ type: "track_end", track_id: trackIds.get(t), position_ms: 40_000, timestamp: start + 40_000 });
    });
    const post = await api(f.server.base, "/v1/me/player/events", { method: "POST", token: user.access_token, body: JSON.stringify({ events }) });
    assert.equal(post.status, 200, post.text);
    assert.equal(post.body.accepted, events.length);

    const all = await api(f.server.base, "/v1/me/player/recently-played?limit=50", { token: user.access_token });
    assert.equal(all.status, 200);
    assert.deepEqual(all.body.items.map((i: any) => i.track.name), [...titles].reverse(), "newest first");
    for (const it of all.body.items) assert.match(it.played_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const p1 = await api(f.server.base, "/v1/me/player/recently-played?limit=2", { token: user.access_token });
    assert.equal(p1.body.items.length, 2);
    assert.equal(p1.body.limit, 2);
    assert.ok(p1.body.next, "a next link when older plays exist");
    const before = new URL(p1.body.next).searchParams.get("before");
    assert.equal(before, p1.body.cursors.before);
    const p2 = await api(f.server.base, `/v1/me/player/recently-played?limit=2&before=${before}`, { token: user.access_token });
    assert.deepEqual(p2.body.items.map((i: any) => i.track.name), [titles[0]]);
    assert.equal(p2.body.next, null);
    const newer = await api(f.server.base, `/v1/me/player/recently-played?limit=50&after=${p2.body.cursors.after}`, { token: user.access_token });
    assert.deepEqual(newer.body.items.map((i: any) => i.track.name), [titles[2], titles[1]]);
    const both = await api(f.server.base, "/v1/me/player/recently-played?before=1&after=1", { token: user.access_token });
    assert.equal(both.status, 400);
  });

  it("bad events get 400 naming the field and store nothing", async () => {
    const user = await login(f.server.base, f.confidential, f.free, ALL_SCOPES);
    const id = trackIds.get("Tram Lines");
    const good = { type: "track_end", track_id: id, position_ms: 40_000 };
    const cases: [object, RegExp][] = [
      [[good, { type: "jump", track_id: id, position_ms: 1 }], /events\[1\]\.type/],
      [[good, { type: "track_end", track_id: id }], /events\[1\]\.position_ms/],
      [[good, { type: "track_end", track_id: id, position_ms: "x" }], /position_ms/],
      [[good, { type: "track_end", track_id: "0000000000000000000000", position_ms: 1 }], /events\[1\]\.track_id/],
      [[good, { type: "track_end", position_ms: 1 }], /events\[1\]\.track_id/],
      [[good, { type: "track_end", track_id: id, position_ms: 1, timestamp: "yesterday" }], /timestamp/],
      [[good, { type: "track_end", track_id: id, position_ms: -5 }], /position_ms/],
      [[], /events/],
    ];
    for (const [body, re] of cases) {
      const r = await api(f.server.base, "/v1/me/player/events", { method: "POST", token: user.access_token, body: JSON.stringify(body) });
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
      assert.ok(isSpotifyError(r.body, 400));
      assert.match(r.body.error.message, re);
    }
    const recent = await api(f.server.base, "/v1/me/player/recently-played", { token: user.access_token });
    assert.equal(recent.status, 200);
    assert.deepEqual(recent.body.items, [], "a refused batch stores nothing, not even its good events");
  });
});
