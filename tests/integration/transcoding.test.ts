// Transcoding: POST /v1/me/player/play chooses among the original files and the encodings the
// server can make (free <= 160 kbps, premium <= 320 kbps, the client's formats), a missing
// encoding is made in a worker process and served only once complete (503 + Retry-After until
// then), with ranges. Encoded bytes are checked by decoding them with our own binary
// (`segue worker transcode IN OUT wav 0` reports the decoded codec and duration).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { addClient, addUser, demoLibrary, listFiles, metricSum, REDIRECT, runSegue, sleep, startServer, tempDir,
  type Client, type Server, type User } from "../lib/server.ts";
import { ALL_SCOPES, api, login } from "../lib/oauth.ts";
import { oggVorbisDurationMs } from "../lib/media.ts";

let server: Server;
let library: string;
let freeToken: string;
let premiumToken: string;
const trackIds = new Map<string, string>();
const FORMATS = ["vorbis", "opus", "aac", "mp3", "flac"];

before(async () => {
  // The demo library plus a FLAC whose header is fine (the scanner lists it) but whose audio is
  // garbage: its transcode must fail, and fail once.
  library = tempDir("segue-tx-lib-");
  fs.cpSync(demoLibrary(), library, { recursive: true });
  const flac = listFiles(library).find((p) => p.endsWith("Prism Bloom.flac"))!;
  const bytes = fs.readFileSync(flac);
  // Metadata blocks after "fLaC": 1 byte (last flag, type) and a 24-bit length each.
  let at = 4;
  for (;;) {
    const last = (bytes[at] & 0x80) !== 0;
    at += 4 + ((bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]);
    if (last) break;
  }
  const title = bytes.indexOf("Prism Bloom");
  assert.ok(title > 0 && title < at);
  bytes.write("Broken Dish", title, "latin1");  // same length: the blocks stay valid
  let seed = 99;
  for (let i = at; i < bytes.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    bytes[i] = seed & 0xff;
  }
  fs.writeFileSync(path.join(path.dirname(flac), "04 - Broken Dish.flac"), bytes);
  const data = tempDir("segue-tx-data-");
  const free: User = addUser(data, "alice");
  const premium: User = addUser(data, "bob", { tier: "premium" });
  const client: Client = addClient(data, "webapp", REDIRECT);
  server = await startServer({ data, libraries: [library] });
  freeToken = (await login(server.base, client, free, ALL_SCOPES)).access_token;
  premiumToken = (await login(server.base, client, premium, ALL_SCOPES)).access_token;
  const nr = await api(server.base, "/v1/browse/new-releases?limit=50", { token: freeToken });
  for (const a of nr.body.albums.items) {
    const tr = await api(server.base, `/v1/albums/${a.id}/tracks?limit=50`, { token: freeToken });
    for (const t of tr.body.items) trackIds.set(t.name, t.id);
  }
});

after(async () => {
  const exit = await server.stop();
  assert.equal(exit.code, 0);
  fs.rmSync(library, { recursive: true, force: true });
});

async function play(title: string, token: string, extra: object = {}) {
  const id = trackIds.get(title);
  assert.ok(id, `no track ${title}`);
  return api(server.base, "/v1/me/player/play", {
    method: "POST",
    token,
    body: JSON.stringify({ track_id: id, formats: FORMATS, ...extra }),
  });
}

/** Play until the chosen file is ready, following retry_after; returns the last response. */
async function playWhenReady(title: string, token: string, extra: object = {}) {
  for (let i = 0; i < 120; i++) {
    const r = await play(title, token, extra);
    assert.equal(r.status, 200, r.text);
    if (r.body.ready) return r.body;
    assert.ok(r.body.retry_after >= 1, JSON.stringify(r.body));
    await sleep(250);
  }
  throw new Error(`${title} never became ready`);
}

async function fetchAll(url: string): Promise<Buffer> {
  const r = await fetch(url);
  assert.equal(r.status, 200);
  return Buffer.from(await r.arrayBuffer());
}

/** Decodes `bytes` with our own binary: the codec and duration it found. */
function decode(bytes: Buffer, ext: string): { codec: string; seconds: number } {
  const dir = tempDir("segue-tx-decode-");
  const file = path.join(dir, `in.${ext}`);
  fs.writeFileSync(file, bytes);
  const r = runSegue(["worker", "transcode", file, path.join(dir, "out.wav"), "wav", "0"]);
  fs.rmSync(dir, { recursive: true, force: true });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const report = JSON.parse(r.stdout);
  return { codec: report.source_codec, seconds: report.source_seconds };
}

// Summed over the processes serving (each node of a cluster counts its own work).
async function metric(name: string): Promise<number> {
  return metricSum(server, name);
}

describe("choosing an encoding", () => {
  it("a free user playing a FLAC gets Ogg Vorbis at 160 kbps, made on demand", async () => {
    const r = await play("Orchard at 3 AM", freeToken);
    assert.equal(r.status, 200, r.text);
    const b = r.body;
    assert.equal(b.format, "vorbis");
    assert.equal(b.bitrate, 160);
    assert.equal(b.transcoded, true);
    assert.equal(b.mime_type, "audio/ogg");
    assert.equal(b.container, "ogg");
    assert.equal(b.quality.within_cap, true);
    assert.match(b.quality.note, /transcoded/);
    assert.match(b.file_id, /^[0-9A-Za-z]{22}$/);
    assert.equal(new URL(b.stream_urls[0]).pathname, `/audio/${b.file_id}`);
    if (!b.ready) {
      assert.equal(b.size, null);
      // Never a partial file: 503 with Retry-After in Spotify's error shape.
      const g = await fetch(b.stream_urls[0]);
      if (g.status === 503) {
        assert.ok(Number(g.headers.get("retry-after")) >= 1);
        const e = await g.json();
        assert.equal(e.error.status, 503);
        assert.match(e.error.message, /transcoded/);
      } else {
        assert.equal(g.status, 200); // it finished in between
        await g.arrayBuffer();
      }
    }
    const ready = await playWhenReady("Orchard at 3 AM", freeToken);
    assert.equal(ready.file_id, b.file_id, "the same encoding has the same file id");
    assert.ok(ready.size > 0);
  });

  it("premium gets Vorbis 320 from a FLAC, and the original MP3 320 when it fits", async () => {
    const flac = await playWhenReady("Prism Bloom", premiumToken);
    assert.equal(flac.format, "vorbis");
    assert.equal(flac.bitrate, 320);
    assert.equal(flac.quality.cap_kbps, 320);
    const mp3 = await play("Compass Rose", premiumToken);
    assert.equal(mp3.body.format, "mp3");
    assert.equal(mp3.body.transcoded, false);
    assert.equal(mp3.body.ready, true);
    assert.match(mp3.body.quality.note, /original/);
  });

  it("a free user playing an MP3 320 gets it transcoded down to the cap", async () => {
    const b = await playWhenReady("Compass Rose", freeToken);
    assert.equal(b.format, "vorbis");
    assert.equal(b.bitrate, 160);
    assert.equal(b.quality.within_cap, true);
  });

  it("the client's most preferred format wins: Opus, or AAC for a browser without Ogg", async () => {
    const opus = await playWhenReady("Paper Satellites", premiumToken, { formats: ["opus", "vorbis"] });
    assert.equal(opus.format, "opus");
    assert.equal(opus.bitrate, 160);
    assert.equal(opus.mime_type, "audio/ogg; codecs=opus");
    const aac = await playWhenReady("Paper Satellites", freeToken, { formats: ["aac", "mp3"] });
    assert.equal(aac.format, "aac");
    assert.equal(aac.bitrate, 128);
    assert.equal(aac.mime_type, "audio/mp4");
    const d = decode(await fetchAll(aac.stream_urls[0]), "m4a");
    assert.equal(d.codec, "aac");
    assert.ok(Math.abs(d.seconds * 1000 - aac.duration_ms) < 150, `${d.seconds} s vs ${aac.duration_ms} ms`);
  });

  it("concurrent plays of a missing encoding start one transcode", async () => {
    const before = await metric("segue_transcode_completed");
    const rs = await Promise.all(Array.from({ length: 6 }, () => play("Northbound Static", freeToken)));
    const ids = new Set(rs.map((r) => r.body.file_id));
    assert.equal(ids.size, 1);
    await playWhenReady("Northbound Static", freeToken);
    await sleep(200);
    assert.equal(await metric("segue_transcode_completed"), before + 1);
  });
});

describe("GET /audio/{file_id} for an encoding", () => {
  let body: any;
  let whole: Buffer;
  before(async () => {
    body = await playWhenReady("Orchard at 3 AM", freeToken);
    whole = await fetchAll(body.stream_urls[0]);
  });

  it("is a complete Ogg Vorbis file of the track's duration", async () => {
    assert.equal(whole.length, body.size);
    const d = decode(whole, "ogg");
    assert.equal(d.codec, "vorbis");
    assert.ok(Math.abs(d.seconds * 1000 - body.duration_ms) < 100, `${d.seconds} s vs ${body.duration_ms} ms`);
    const dir = tempDir("segue-tx-ogg-");
    fs.writeFileSync(path.join(dir, "a.ogg"), whole);
    assert.ok(Math.abs(oggVorbisDurationMs(path.join(dir, "a.ogg")) - body.duration_ms) < 100);
    fs.rmSync(dir, { recursive: true, force: true });
    // Within the cap, with container overhead.
    assert.ok((whole.length * 8) / (body.duration_ms / 1000) / 1000 <= 160 * 1.3 + 16);
  });

  it("serves ranges (seeking) with 206 and the exact bytes, and 416 past the end", async () => {
    const size = whole.length;
    const cases: [string, number, number][] = [
      ["bytes=0-0", 0, 0],
      [`bytes=${size - 1}-`, size - 1, size - 1],
      ["bytes=-100", size - 100, size - 1],
      [`bytes=${Math.floor(size / 2)}-`, Math.floor(size / 2), size - 1],
      [`bytes=1000-${1000 + 30_000}`, 1000, 31_000],
    ];
    for (const [range, first, last] of cases) {
      const r = await fetch(body.stream_urls[0], { headers: { range } });
      assert.equal(r.status, 206, range);
      assert.equal(r.headers.get("content-range"), `bytes ${first}-${last}/${size}`, range);
      assert.equal(r.headers.get("content-type"), "audio/ogg");
      const got = Buffer.from(await r.arrayBuffer());
      assert.ok(got.equals(whole.subarray(first, last + 1)), `bytes differ for ${range}`);
    }
    // Fetching the file as a player does, in 16 KB ranges, gives the same bytes.
    const parts: Buffer[] = [];
    for (let at = 0; at < size; at += 16_384) {
      const r = await fetch(body.stream_urls[0], { headers: { range: `bytes=${at}-${Math.min(size, at + 16_384) - 1}` } });
      parts.push(Buffer.from(await r.arrayBuffer()));
    }
    assert.ok(Buffer.concat(parts).equals(whole));
    const past = await fetch(body.stream_urls[0], { headers: { range: `bytes=${size}-` } });
    assert.equal(past.status, 416);
    await past.arrayBuffer();
  });

  it("needs the token of that file; unknown ids are 404", async () => {
    const u = new URL(body.stream_urls[0]);
    const noToken = await fetch(server.url(u.pathname));
    assert.equal(noToken.status, 403);
    await noToken.arrayBuffer();
    const other = await play("Compass Rose", premiumToken);
    const wrong = await fetch(server.url(`${u.pathname}?token=${encodeURIComponent(other.body.token)}`));
    assert.equal(wrong.status, 403);
    await wrong.arrayBuffer();
    const unknown = await fetch(server.url(`/audio/0000000000000000000000?token=${encodeURIComponent(body.token)}`));
    assert.ok(unknown.status === 403 || unknown.status === 404);
    await unknown.arrayBuffer();
  });

  it("the encoding is a file under <data>/transcodes named by its id, with no .part left", () => {
    const dir = path.join(server.data, "transcodes");
    const names = fs.readdirSync(dir);
    assert.ok(names.includes(`${body.file_id}.ogg`), names.join(", "));
    assert.ok(!names.some((n) => n.endsWith(".part")));
  });
});

describe("a file that cannot be transcoded", () => {
  it("fails once, is reported, and later plays fall back to the original", async () => {
    const first = await play("Broken Dish", freeToken);
    assert.equal(first.status, 200, first.text);
    assert.equal(first.body.transcoded, true);
    let failedGet: Response | null = null;
    for (let i = 0; i < 100; i++) {
      const g = await fetch(first.body.stream_urls[0]);
      if (g.status !== 503) {
        failedGet = g;
        break;
      }
      await g.arrayBuffer();
      await sleep(100);
    }
    assert.ok(failedGet, "the transcode never finished");
    assert.equal(failedGet.status, 500);
    const e = await failedGet.json();
    assert.match(e.error.message, /could not be made/);
    // The server is still up, and does not offer the failed encoding again.
    const again = await play("Broken Dish", freeToken);
    assert.equal(again.status, 200);
    assert.notEqual(again.body.file_id, first.body.file_id);
    assert.ok(server.running);
    assert.ok((await metric("segue_transcode_failed_files")) >= 1);
  });
});
