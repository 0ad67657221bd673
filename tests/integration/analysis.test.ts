// Audio analysis over HTTP: the server analyzes the demo library in the background (child
// processes of the real binary), then answers Spotify's audio-features and audio-analysis in
// their documented shapes; results survive a restart; `segue analyze` resumes rather than
// redoes.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { addUser, runSegue, startServer, tempDir, demoLibrary, type Server, type User } from "../lib/server.ts";
import { addClient } from "../lib/server.ts";
import { ALL_SCOPES, api, isSpotifyError, login } from "../lib/oauth.ts";
import { OpenApi } from "../lib/openapi.ts";
import { DEMO_TRACK_COUNT } from "../lib/demo.ts";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { listFiles } from "../lib/server.ts";

const REDIRECT = "http://127.0.0.1:9/callback";
let server: Server;
let data: string;
let user: User;
let client: ReturnType<typeof addClient>;
let token: string;
let trackIds: string[] = [];
const openapi = new OpenApi();
// /metrics is read as an operator behind a proxy would (with SEGUE_TEST_CLUSTER, through the
// gateway, from whichever node it picks): with the metrics token.
const METRICS_TOKEN = crypto.randomBytes(16).toString("hex");
const METRICS_ARGS = ["--metrics-token", METRICS_TOKEN];

async function metricsText(s: Server): Promise<string> {
  const r = await fetch(s.url("/metrics"), { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  assert.equal(r.status, 200);
  return r.text();
}

async function metric(name: string): Promise<number> {
  const m = await metricsText(server);
  const line = new RegExp(`^${name}\\s+([0-9.e+-]+)`, "m").exec(m);
  return line ? Number(line[1]) : NaN;
}

async function waitAnalyzed(count: number): Promise<void> {
  // Several answers in a row: behind a gateway, every node must have heard of every result.
  let inARow = 0;
  for (let i = 0; i < 600; i++) {
    if ((await metric("segue_analysis_files_analyzed")) >= count) {
      if (++inARow >= 4) return;
      continue;
    }
    inARow = 0;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`analysis did not finish: ${await metric("segue_analysis_files_analyzed")} of ${count}`);
}

before(async () => {
  data = tempDir("segue-data-");
  user = addUser(data, "ana");
  client = addClient(data, "app", REDIRECT, true);
  server = await startServer({ data, libraries: [demoLibrary()], env: { SEGUE_ANALYSIS_WORKERS: "2" }, extraArgs: METRICS_ARGS });
  token = (await login(server.base, client, user, ALL_SCOPES)).access_token;
  await waitAnalyzed(DEMO_TRACK_COUNT);
  const albums = await api(server.base, "/v1/browse/new-releases?limit=50", { token });
  assert.equal(albums.status, 200, albums.text);
  for (const a of albums.body.albums.items) {
    const t = await api(server.base, `/v1/albums/${a.id}/tracks?limit=50`, { token });
    for (const x of t.body.items) trackIds.push(x.id);
  }
  assert.equal(trackIds.length, DEMO_TRACK_COUNT);
});
after(async () => server?.stop());

describe("audio features", () => {
  it("every track has features in Spotify's shape and ranges", async () => {
    const tempos = new Set<number>();
    for (const id of trackIds) {
      const r = await api(server.base, `/v1/audio-features/${id}`, { token });
      assert.equal(r.status, 200, r.text);
      const report = openapi.validate("GET", server.url(`/v1/audio-features/${id}`), r.body);
      assert.ok(report.ok, report.errors.join("; "));
      const f = r.body;
      assert.equal(f.id, id);
      assert.equal(f.type, "audio_features");
      for (const k of ["acousticness", "danceability", "energy", "instrumentalness", "liveness", "speechiness", "valence"])
        assert.ok(f[k] >= 0 && f[k] <= 1, `${k}=${f[k]}`);
      assert.ok(f.key >= -1 && f.key <= 11);
      assert.ok(f.mode === 0 || f.mode === 1);
      assert.ok(f.time_signature >= 3 && f.time_signature <= 7);
      // The demo tunes are 20-40 s melodies: a tempo, a loudness in LUFS well below 0.
      assert.ok(f.tempo > 40 && f.tempo < 250, `tempo ${f.tempo}`);
      assert.ok(f.loudness < -3 && f.loudness > -60, `loudness ${f.loudness}`);
      assert.ok(f.duration_ms > 15_000 && f.duration_ms < 45_000);
      tempos.add(Math.round(f.tempo));
    }
    // Different tunes: not one value for all.
    assert.ok(tempos.size > 2, [...tempos].join(","));
  });

  it("several at once keep the order and give null for unknown ids", async () => {
    const unknown = "0000000000000000000000";
    const ids = [trackIds[2], unknown, trackIds[0]];
    const r = await api(server.base, `/v1/audio-features?ids=${ids.join(",")}`, { token });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.audio_features.length, 3);
    assert.equal(r.body.audio_features[0].id, trackIds[2]);
    assert.equal(r.body.audio_features[1], null);
    assert.equal(r.body.audio_features[2].id, trackIds[0]);
    // The OpenAPI document allows no nulls in the list (Spotify sends them): validate known ids.
    const known = await api(server.base, `/v1/audio-features?ids=${trackIds.join(",")}`, { token });
    const report = openapi.validate("GET", server.url(`/v1/audio-features?ids=${trackIds.join(",")}`), known.body);
    assert.ok(report.ok, report.errors.join("; "));
    assert.equal(known.body.audio_features.length, trackIds.length);
  });

  it("errors: no token, a bad id, an unknown track, too many ids", async () => {
    assert.equal((await api(server.base, `/v1/audio-features/${trackIds[0]}`)).status, 401);
    const bad = await api(server.base, "/v1/audio-features/not-an-id!", { token });
    assert.equal(bad.status, 400);
    assert.ok(isSpotifyError(bad.body, 400));
    const unknown = await api(server.base, "/v1/audio-features/0000000000000000000000", { token });
    assert.equal(unknown.status, 404);
    assert.ok(isSpotifyError(unknown.body, 404));
    const many = Array.from({ length: 101 }, () => trackIds[0]).join(",");
    assert.equal((await api(server.base, `/v1/audio-features?ids=${many}`, { token })).status, 400);
  });
});

describe("audio analysis", () => {
  it("beats, bars, sections and segments that cover the track", async () => {
    const id = trackIds[0];
    const r = await api(server.base, `/v1/audio-analysis/${id}`, { token });
    assert.equal(r.status, 200, r.text);
    const report = openapi.validate("GET", server.url(`/v1/audio-analysis/${id}`), r.body);
    assert.ok(report.ok, report.errors.join("; "));
    const a = r.body;
    const features = (await api(server.base, `/v1/audio-features/${id}`, { token })).body;
    assert.ok(Math.abs(a.track.duration * 1000 - features.duration_ms) < 50);
    assert.equal(a.track.key, features.key);
    assert.equal(a.track.analysis_sample_rate, 22050);
    assert.ok(a.beats.length > 10, `beats ${a.beats.length}`);
    assert.ok(a.segments.length > 10);
    assert.ok(a.sections.length >= 1);
    // Beats are ordered, inside the track, and spaced about 60/tempo apart.
    for (let i = 1; i < a.beats.length; i++) assert.ok(a.beats[i].start > a.beats[i - 1].start);
    assert.ok(a.beats.at(-1).start < a.track.duration);
    const spacing = (a.beats.at(-1).start - a.beats[0].start) / (a.beats.length - 1);
    assert.ok(Math.abs(spacing - 60 / a.track.tempo) / (60 / a.track.tempo) < 0.15, `${spacing} vs ${60 / a.track.tempo}`);
    for (const s of a.segments) {
      assert.equal(s.pitches.length, 12);
      assert.equal(s.timbre.length, 12);
      assert.ok(Math.max(...s.pitches) <= 1);
    }
    assert.ok(typeof a.track.integrated_loudness_lufs === "number");
  });

  it("the demo library has no duplicate recordings, and the list needs user-library-read", async () => {
    const r = await api(server.base, "/v1/library/duplicates", { token });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { groups: [], total: 0 });
    const narrow = (await login(server.base, client, user, "user-read-private")).access_token;
    const denied = await api(server.base, "/v1/library/duplicates", { token: narrow });
    assert.equal(denied.status, 403);
  });
});

describe("loudness normalisation in the play response", () => {
  it("carries the gains to -14 LUFS from the analysis, lowered to keep the true peak under -1 dBTP", async () => {
    for (const id of trackIds.slice(0, 4)) {
      const r = await api(server.base, "/v1/me/player/play", { token, method: "POST", body: JSON.stringify({ track_id: id }) });
      assert.equal(r.status, 200, r.text);
      const n = r.body.normalization;
      assert.ok(n, "normalization missing");
      assert.equal(n.target_lufs, -14);
      const wanted = -14 - n.integrated_lufs;
      const expected = wanted > 0 ? Math.max(0, Math.min(wanted, -1 - n.true_peak_dbtp)) : wanted;
      assert.ok(Math.abs(n.track_gain_db - expected) < 0.02, `${n.track_gain_db} vs ${expected}`);
      assert.ok(n.true_peak_dbtp + Math.max(0, n.track_gain_db) <= -0.99);
      assert.equal(typeof n.album_gain_db, "number");
      // The same loudness as audio-features reports.
      const f = (await api(server.base, `/v1/audio-features/${id}`, { token })).body;
      assert.ok(Math.abs(f.loudness - n.integrated_lufs) < 0.01);
    }
  });
});

describe("persistence and the command line", () => {
  it("a restart answers from stored results without analyzing again; `segue analyze` resumes", async () => {
    const before = (await api(server.base, `/v1/audio-features/${trackIds[1]}`, { token })).body;
    await server.stop();
    const cli = runSegue(["analyze", "--data", data]);
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, new RegExp(`analyzed ${DEMO_TRACK_COUNT} of ${DEMO_TRACK_COUNT} files \\(0 failed\\); this run: 0 files`));
    server = await startServer({ data, libraries: [demoLibrary()], env: { SEGUE_ANALYSIS_WORKERS: "2" }, extraArgs: METRICS_ARGS });
    const r = await api(server.base, `/v1/audio-features/${trackIds[1]}`, { token });
    assert.equal(r.status, 200, r.text);
    const withoutLinks = (f: any) => ({ ...f, analysis_url: undefined, track_href: undefined });
    assert.deepEqual(withoutLinks(r.body), withoutLinks(before));
    assert.equal(await metric("segue_analysis_audio_seconds"), 0);
    assert.equal(await metric("segue_analysis_files_analyzed"), DEMO_TRACK_COUNT);
  });
});

describe("hostile audio", () => {
  it("a file whose audio turns to noise behind valid tags fails alone, with a reason, and the server keeps serving", async () => {
    const lib = tempDir("segue-hostile-analysis-");
    fs.cpSync(demoLibrary(), lib, { recursive: true });
    const mp3 = listFiles(lib).find((p) => p.endsWith(".mp3"))!;
    const bytes = fs.readFileSync(mp3);
    // Keep the ID3v2 tag (its size is syncsafe in bytes 6-9) and a few frames, so TagLib still
    // reads the file and it enters the catalog; replace the rest of the audio with noise.
    assert.equal(bytes.subarray(0, 3).toString(), "ID3");
    const tagSize = ((bytes[6] & 0x7f) << 21) | ((bytes[7] & 0x7f) << 14) | ((bytes[8] & 0x7f) << 7) | (bytes[9] & 0x7f);
    crypto.randomFillSync(bytes, 10 + tagSize + 4000);
    fs.writeFileSync(mp3, bytes);
    const hostileData = tempDir("segue-data-");
    const u = addUser(hostileData, "h");
    const c = addClient(hostileData, "app", REDIRECT, true);
    const s = await startServer({ data: hostileData, libraries: [lib], env: { SEGUE_ANALYSIS_WORKERS: "2" }, extraArgs: METRICS_ARGS });
    try {
      const t = (await login(s.base, c, u, ALL_SCOPES)).access_token;
      let failed = 0;
      for (let i = 0; i < 600; i++) {
        const m = await metricsText(s);
        const ok = Number(/^segue_analysis_files_analyzed\s+(\S+)/m.exec(m)?.[1]);
        failed = Number(/^segue_analysis_files_failed\s+(\S+)/m.exec(m)?.[1]);
        if (ok + failed >= DEMO_TRACK_COUNT) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(failed, 1);
      // The log names the file and why (a decoder error, or the worker's death).
      const logged = (s.stdout + s.stderr).split("\n").find((l) => l.includes("analysis: ") && l.includes(path.basename(mp3)));
      assert.ok(logged, "no log line for the broken file");
      const health = await fetch(s.url("/healthz"));
      assert.equal(health.status, 200);
      const search = await api(s.base, "/v1/search?q=a&type=track&limit=50", { token: t });
      assert.equal(search.status, 200);
    } finally {
      await s.stop();
    }
  });
});
