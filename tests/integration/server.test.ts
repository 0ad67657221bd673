// The server as a process: durability across kill -9, rate limits, CORS, graceful shutdown,
// metrics and health.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import { listFiles, sleep, startFixture, startServer } from "../lib/server.ts";
import { ALL_SCOPES, api, isSpotifyError, login } from "../lib/oauth.ts";

async function catalogIds(base: string, token: string) {
  const tracks = new Map<string, string>();
  const albums = new Map<string, string>();
  const nr = await api(base, "/v1/browse/new-releases?limit=50", { token });
  for (const a of nr.body.albums.items) {
    albums.set(a.name, a.id);
    const tr = await api(base, `/v1/albums/${a.id}/tracks?limit=50`, { token });
    for (const t of tr.body.items) tracks.set(t.name, t.id);
  }
  return { tracks, albums };
}

describe("durability", () => {
  it("saved tracks, saved albums and events survive kill -9 right after the 200", async () => {
    const f = await startFixture();
    const t = await login(f.server.base, f.confidential, f.free, ALL_SCOPES);
    const { tracks, albums } = await catalogIds(f.server.base, t.access_token);
    const saved = ["Compass Rose", "Tram Lines", "Prism Bloom"].map((n) => tracks.get(n)!);
    const put = await api(f.server.base, "/v1/me/tracks", { method: "PUT", token: t.access_token, body: JSON.stringify({ ids: saved }) });
    assert.equal(put.status, 200, put.text);
    const putAlbum = await api(f.server.base, `/v1/me/albums?ids=${albums.get("Glass Orchard")}`, { method: "PUT", token: t.access_token });
    assert.equal(putAlbum.status, 200, putAlbum.text);
    const ev = await api(f.server.base, "/v1/me/player/events", {
      method: "POST",
      token: t.access_token,
      body: JSON.stringify({ type: "track_end", track_id: tracks.get("Tram Lines"), position_ms: 40_000 }),
    });
    assert.equal(ev.status, 200, ev.text);
    await f.server.kill9();
    assert.equal(f.server.proc.signalCode, "SIGKILL");

    const server = await startServer({ data: f.data, libraries: [f.library] });
    try {
      const list = await api(server.base, "/v1/me/tracks?limit=50", { token: t.access_token });
      assert.equal(list.status, 200, "the access token survives a restart");
      assert.deepEqual(list.body.items.map((i: any) => i.track.id).sort(), [...saved].sort());
      const al = await api(server.base, "/v1/me/albums", { token: t.access_token });
      assert.deepEqual(al.body.items.map((i: any) => i.album.name), ["Glass Orchard"]);
      const recent = await api(server.base, "/v1/me/player/recently-played", { token: t.access_token });
      assert.deepEqual(recent.body.items.map((i: any) => i.track.name), ["Tram Lines"]);
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  });
});

describe("rate limiting", () => {
  it("the 6th request in the window with --rate-limit-user 5 gets 429 with Retry-After", async () => {
    const f = await startFixture(["--rate-limit-user", "5"]);
    try {
      const t = await login(f.server.base, f.confidential, f.free, ALL_SCOPES);
      // One process refuses the 6th. Nodes sharing the count through Redis decide on what they
      // last heard from each other, so a burst may pass up to 5 on each node before the first
      // refusal, never more (net/rate_limiter_shared.h).
      const most = 5 * f.server.nodeBases().length;
      let passed = 0;
      let r = await api(f.server.base, "/v1/me", { token: t.access_token });
      while (r.status === 200 && passed <= most) {
        passed++;
        r = await api(f.server.base, "/v1/me", { token: t.access_token });
      }
      assert.ok(passed >= 5 && passed <= most, `${passed} passed before the first refusal`);
      assert.equal(r.status, 429);
      const retry = r.headers.get("retry-after");
      assert.match(retry ?? "", /^\d+$/, `Retry-After: ${retry}`);
      assert.ok(Number(retry) >= 1 && Number(retry) <= 30, `Retry-After ${retry}`);
      assert.ok(isSpotifyError(r.body, 429), r.text);
      // Another user has a budget of their own.
      const other = await login(f.server.base, f.confidential, f.premium, ALL_SCOPES);
      assert.equal((await api(f.server.base, "/v1/me", { token: other.access_token })).status, 200);
    } finally {
      assert.equal((await f.server.stop()).code, 0);
    }
  });
});

describe("CORS", () => {
  it("a preflight from the configured origin is allowed; other origins are not", async () => {
    const f = await startFixture(["--cors-origin", "http://app.example"]);
    try {
      const pre = (origin: string) =>
        fetch(f.server.url("/v1/me/tracks"), {
          method: "OPTIONS",
          headers: { origin, "access-control-request-method": "PUT", "access-control-request-headers": "authorization, content-type" },
        });
      const ok = await pre("http://app.example");
      assert.ok(ok.status === 204 || ok.status === 200, `status ${ok.status}`);
      assert.equal(ok.headers.get("access-control-allow-origin"), "http://app.example");
      assert.match(ok.headers.get("access-control-allow-methods") ?? "", /PUT/);
      assert.match(ok.headers.get("access-control-allow-headers") ?? "", /authorization/i);
      const bad = await pre("http://evil.example");
      assert.equal(bad.headers.get("access-control-allow-origin"), null);
      assert.equal(bad.headers.get("access-control-allow-methods"), null);

      const t = await login(f.server.base, f.confidential, f.free, ALL_SCOPES);
      const simple = await api(f.server.base, "/v1/me", { token: t.access_token, headers: { origin: "http://app.example" } });
      assert.equal(simple.headers.get("access-control-allow-origin"), "http://app.example");
      const other = await api(f.server.base, "/v1/me", { token: t.access_token, headers: { origin: "http://evil.example" } });
      assert.equal(other.headers.get("access-control-allow-origin"), null);
    } finally {
      assert.equal((await f.server.stop()).code, 0);
    }
  });
});

describe("graceful shutdown", () => {
  it("SIGTERM during a large range download: the download completes, exit 0, the database is intact", async () => {
    const f = await startFixture();
    const t = await login(f.server.base, f.confidential, f.premium, ALL_SCOPES);
    const { tracks } = await catalogIds(f.server.base, t.access_token);
    await api(f.server.base, "/v1/me/tracks", { method: "PUT", token: t.access_token, body: JSON.stringify({ ids: [tracks.get("Tram Lines")] }) });
    const play = await api(f.server.base, "/v1/me/player/play", { method: "POST", token: t.access_token, body: JSON.stringify({ track_id: tracks.get("Tram Lines"), quality: "lossless" }) });
    assert.equal(play.status, 200, play.text);
    const size: number = play.body.size;
    assert.ok(size > 1_000_000, `the WAV track is large (${size} bytes)`);
    const disk = fs.readFileSync(listFiles(f.library).find((p) => fs.statSync(p).size === size)!);
    const u = new URL(play.body.stream_urls[0]);

    // A slow client: read the headers and a little, then pause while the server is stopped.
    const sock = net.connect(f.server.port, "127.0.0.1");
    sock.setNoDelay(true);
    const chunks: Buffer[] = [];
    let received = 0;
    let firstData: () => void;
    const gotData = new Promise<void>((r) => (firstData = r));
    const ended = new Promise<void>((resolve, reject) => {
      sock.on("end", () => resolve());
      sock.on("close", () => resolve());
      sock.on("error", reject);
    });
    sock.on("data", (d: Buffer) => {
      chunks.push(d);
      received += d.length;
      if (received > 0) firstData();
    });
    sock.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=100-\r\nConnection: close\r\n\r\n`);
    await gotData;
    sock.pause();
    const receivedAtTerm = received;
    assert.ok(receivedAtTerm < size - 100, "the download is in flight when SIGTERM is sent");
    const stopping = f.server.stop(20_000);
    await sleep(300);
    sock.resume();
    await ended;
    const exit = await stopping;
    assert.equal(exit.code, 0, `exit ${JSON.stringify(exit)}`);

    const all = Buffer.concat(chunks);
    const headerEnd = all.indexOf("\r\n\r\n");
    const head = all.subarray(0, headerEnd).toString("latin1");
    assert.match(head, /^HTTP\/1\.1 206/);
    assert.match(head, new RegExp(`Content-Range: bytes 100-${size - 1}/${size}`, "i"));
    const body = all.subarray(headerEnd + 4);
    assert.equal(body.length, size - 100, "the in-flight download completed during the grace period");
    assert.ok(body.equals(disk.subarray(100)));

    const again = await startServer({ data: f.data, libraries: [f.library] });
    try {
      const list = await api(again.base, "/v1/me/tracks", { token: t.access_token });
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.items.map((i: any) => i.track.name), ["Tram Lines"]);
      const health = await (await fetch(again.url("/healthz"))).json();
      assert.equal(health.database, "ok");
    } finally {
      assert.equal((await again.stop()).code, 0);
    }
  });
});

describe("metrics and health", () => {
  it("/healthz is ok and /metrics has route counters, histograms, connections, bytes and scan gauges", async () => {
    const f = await startFixture();
    try {
      const h = await fetch(f.server.url("/healthz"));
      assert.equal(h.status, 200);
      const health = await h.json();
      assert.equal(health.status, "ok");
      assert.equal(health.database, "ok");
      assert.equal(health.tracks, 13);

      const t = await login(f.server.base, f.confidential, f.premium, ALL_SCOPES);
      const { tracks } = await catalogIds(f.server.base, t.access_token);
      const id = tracks.get("Low Tide Letters")!;
      for (let i = 0; i < 3; i++) assert.equal((await api(f.server.base, `/v1/tracks/${id}`, { token: t.access_token })).status, 200);
      assert.equal((await api(f.server.base, "/v1/tracks/0000000000000000000000", { token: t.access_token })).status, 404);
      const play = await api(f.server.base, "/v1/me/player/play", { method: "POST", token: t.access_token, body: JSON.stringify({ track_id: id }) });
      const audio = await fetch(play.body.stream_urls[0], { headers: { range: "bytes=0-9999" } });
      assert.equal((await audio.arrayBuffer()).byteLength, 10_000);

      // Keep one connection open while reading the metrics.
      const idle = net.connect(f.server.port, "127.0.0.1");
      await new Promise((r) => idle.on("connect", r));
      await sleep(50);
      const text = await (await fetch(f.server.url("/metrics"))).text();
      idle.destroy();
      const value = (re: RegExp) => {
        const m = re.exec(text);
        assert.ok(m, `no match for ${re} in /metrics`);
        return Number(m![1]);
      };
      assert.ok(value(/^segue_http_requests_total\{route="\/v1\/tracks\/\{id\}",status="200"\} (\d+)$/m) >= 3);
      assert.ok(value(/^segue_http_requests_total\{route="\/v1\/tracks\/\{id\}",status="404"\} (\d+)$/m) >= 1);
      assert.ok(value(/^segue_http_request_duration_seconds_count\{route="\/v1\/tracks\/\{id\}",status="200"\} (\d+)$/m) >= 3);
      assert.match(text, /^segue_http_request_duration_seconds_bucket\{route="\/v1\/tracks\/\{id\}",status="200",le="\+Inf"\} \d+$/m);
      assert.match(text, /^# TYPE segue_http_request_duration_seconds histogram$/m);
      assert.ok(value(/^segue_http_open_connections (\d+)$/m) >= 1, "open connections gauge counts the idle connection");
      assert.ok(value(/^segue_audio_bytes_streamed_total (\d+)$/m) >= 10_000);
      assert.equal(value(/^segue_scan_running (\d+)$/m), 0);
      assert.equal(value(/^segue_scan_files_done (\d+)$/m), value(/^segue_scan_files_total (\d+)$/m));
      assert.ok(value(/^segue_scan_files_total (\d+)$/m) >= 13);
      assert.ok(value(/^segue_scans_total (\d+)$/m) >= 1);
      assert.equal(value(/^segue_catalog_tracks (\d+)$/m), 13);
    } finally {
      assert.equal((await f.server.stop()).code, 0);
    }
  });
});
