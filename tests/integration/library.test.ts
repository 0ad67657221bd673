// Scanning libraries that are not made for us: a hostile one (broken files, symlink tricks,
// undecodable names) and a real one (The Battle for Wesnoth's soundtrack, Ogg Vorbis).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { addClient, addUser, demoLibrary, listFiles, runSegue, startServer, tempDir, REDIRECT } from "../lib/server.ts";
import { ALL_SCOPES, api, login } from "../lib/oauth.ts";
import { DEMO_TRACK_COUNT } from "../lib/demo.ts";
import { oggVorbisComments, oggVorbisDurationMs } from "../lib/media.ts";

function copyDir(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true });
}

interface ScanSummary {
  files: number;
  added: number;
  failed: Map<string, string>; // path -> reason
}

function parseScan(stdout: string): ScanSummary {
  const m = /^scan: (\d+) files in [\d.]+ s: added (\d+), updated \d+, moved \d+, removed \d+, unchanged \d+, failed (\d+)$/m.exec(stdout);
  assert.ok(m, `no scan summary in:\n${stdout}`);
  const failed = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    // The path ends at the first ": " after its last slash (reasons may hold ": " but no "/").
    const f = /^  failed: (.*\/[^/]*?): (.+)$/.exec(line);
    if (f) failed.set(f[1], f[2]);
  }
  assert.equal(failed.size, Number(m[3]), `failed lines vs count:\n${stdout}`);
  return { files: Number(m[1]), added: Number(m[2]), failed };
}

describe("a hostile library", () => {
  it("scan reports each bad file with a reason, adds the good ones, and serve works", async () => {
    const lib = tempDir("segue-hostile-");
    const outside = tempDir("segue-outside-");
    const music = path.join(lib, "music");
    copyDir(demoLibrary(), music);
    const demoFiles = listFiles(music).filter((p) => /\.(ogg|mp3|flac|opus|m4a|wav)$/.test(p));
    assert.equal(demoFiles.length, DEMO_TRACK_COUNT);
    const mp3 = demoFiles.find((p) => p.endsWith(".mp3"))!;
    const flac = demoFiles.find((p) => p.endsWith(".flac"))!;
    const bad = path.join(music, "bad");
    fs.mkdirSync(bad);
    fs.writeFileSync(path.join(bad, "truncated.mp3"), fs.readFileSync(mp3).subarray(0, 1000));
    fs.writeFileSync(path.join(bad, "truncated.flac"), fs.readFileSync(flac).subarray(0, 1000));
    fs.writeFileSync(path.join(bad, "x.mp3"), crypto.randomBytes(64 * 1024));
    fs.writeFileSync(path.join(bad, "y.flac"), crypto.randomBytes(64 * 1024));
    fs.writeFileSync(path.join(bad, "z.ogg"), "");
    fs.symlinkSync("..", path.join(bad, "loop")); // a folder symlink to its parent
    fs.writeFileSync(path.join(outside, "secret.ogg"), fs.readFileSync(demoFiles.find((p) => p.endsWith(".ogg"))!));
    fs.symlinkSync(path.join(outside, "secret.ogg"), path.join(bad, "outside.ogg"));
    fs.symlinkSync(outside, path.join(bad, "outside-dir"));
    fs.symlinkSync(path.join(bad, "missing.ogg"), path.join(bad, "dangling.ogg"));
    // A file name that is not UTF-8 (0xff 0xfe are never valid in UTF-8): Buffer paths.
    const badName = Buffer.concat([Buffer.from(bad + "/bad-"), Buffer.from([0xff, 0xfe]), Buffer.from(".ogg")]);
    fs.writeFileSync(badName, fs.readFileSync(demoFiles.find((p) => p.endsWith(".ogg"))!));

    const data = tempDir("segue-data-");
    const scan = runSegue(["scan", "--data", data, "--library", lib]);
    assert.equal(scan.status, 0, scan.stderr);
    const s = parseScan(scan.stdout);
    assert.equal(s.added, DEMO_TRACK_COUNT, scan.stdout);
    const reasonFor = (name: string) => {
      const hit = [...s.failed].find(([p]) => p.endsWith("/bad/" + name) || p.endsWith("/bad/" + name.replace(/\uFFFD/g, "?")));
      return hit?.[1];
    };
    for (const name of ["truncated.mp3", "truncated.flac", "x.mp3", "y.flac", "z.ogg"]) {
      const reason = reasonFor(name);
      assert.ok(reason && reason.length > 0, `${name} not reported as failed:\n${scan.stdout}`);
    }
    assert.match(reasonFor("loop") ?? "", /loop/, scan.stdout);
    assert.match(reasonFor("outside.ogg") ?? "", /outside/, scan.stdout);
    assert.match(reasonFor("outside-dir") ?? "", /outside/, scan.stdout);
    assert.match(reasonFor("dangling.ogg") ?? "", /broken symlink/, scan.stdout);
    const utf8 = [...s.failed].find(([, r]) => /UTF-8/.test(r));
    assert.ok(utf8, `the non-UTF-8 name is not reported:\n${scan.stdout}`);
    assert.ok(!scan.stdout.includes("\xff"), "the report itself is valid text");
    assert.ok(![...s.failed.keys()].some((p) => p.includes("secret")), "nothing outside the library is read");

    const user = addUser(data, "carol");
    const client = addClient(data, "app", REDIRECT);
    const server = await startServer({ data, libraries: [lib], minTracks: DEMO_TRACK_COUNT });
    try {
      const t = await login(server.base, client, user, ALL_SCOPES);
      const nr = await api(server.base, "/v1/browse/new-releases?limit=50", { token: t.access_token });
      assert.equal(nr.status, 200);
      const total = nr.body.albums.items.reduce((n: number, a: any) => n + a.total_tracks, 0);
      assert.equal(total, DEMO_TRACK_COUNT, "only the good files are tracks");
      const health = await (await fetch(server.url("/healthz"))).json();
      assert.equal(health.tracks, DEMO_TRACK_COUNT);
    } finally {
      const exit = await server.stop();
      assert.equal(exit.code, 0);
    }
  });
});

const WESNOTH = "/usr/share/games/wesnoth/1.16/data/core/music";

describe("the Wesnoth soundtrack", { skip: !fs.existsSync(WESNOTH) && `${WESNOTH} not installed` }, () => {
  it("41 tracks; the OST album by Wesnoth Project has the tagged disc and track numbers; durations match the Ogg files", async () => {
    const data = tempDir("segue-data-");
    const scan = runSegue(["scan", "--data", data, "--library", WESNOTH]);
    assert.equal(scan.status, 0, scan.stderr);
    const s = parseScan(scan.stdout);
    assert.equal(s.failed.size, 0, scan.stdout);
    assert.equal(s.added, 41, scan.stdout);
    const files = fs.readdirSync(WESNOTH).filter((n) => n.endsWith(".ogg"));
    assert.equal(files.length, 41);
    const tags = new Map(files.map((n) => [n, oggVorbisComments(path.join(WESNOTH, n))]));
    const onAlbum = files.filter((n) => tags.get(n)!.get("ALBUMARTIST")?.[0] === "Wesnoth Project");

    // Premium: every original fits the 320 kbps cap, so play returns the files themselves (a
    // free user would get Vorbis 160 encodings of the tracks above 160 kbps).
    const user = addUser(data, "dave", { tier: "premium" });
    const client = addClient(data, "app", REDIRECT);
    const server = await startServer({ data, libraries: [WESNOTH], minTracks: 41 });
    try {
      const t = await login(server.base, client, user, ALL_SCOPES);
      const get = (p: string) => api(server.base, p, { token: t.access_token });
      const nr = await get("/v1/browse/new-releases?limit=50");
      const sum = nr.body.albums.items.reduce((n: number, a: any) => n + a.total_tracks, 0);
      assert.equal(sum, 41, "every file is a track on some album");
      const ost = nr.body.albums.items.filter((a: any) => a.name === "The Battle for Wesnoth OST" && a.artists[0]?.name === "Wesnoth Project");
      assert.equal(ost.length, 1, `albums: ${JSON.stringify(nr.body.albums.items.map((a: any) => [a.name, a.artists.map((x: any) => x.name)]))}`);
      const album = ost[0];
      assert.deepEqual(album.artists.map((a: any) => a.name), ["Wesnoth Project"]);
      assert.equal(album.total_tracks, onAlbum.length);

      // Every track of every album, matched to its file by the size the player reports.
      const bySize = new Map(files.map((n) => [fs.statSync(path.join(WESNOTH, n)).size, n]));
      assert.equal(bySize.size, 41, "file sizes are distinct");
      const fileOf = new Map<string, string>();
      let compared = 0;
      for (const a of nr.body.albums.items) {
        const tr = await get(`/v1/albums/${a.id}/tracks?limit=50`);
        for (const x of tr.body.items) {
          const play = await api(server.base, "/v1/me/player/play", { method: "POST", token: t.access_token, body: JSON.stringify({ track_id: x.id }) });
          assert.equal(play.status, 200, play.text);
          const file = bySize.get(play.body.size);
          assert.ok(file, `no Wesnoth file of ${play.body.size} bytes`);
          fileOf.set(x.id, file!);
          const expected = oggVorbisDurationMs(path.join(WESNOTH, file!));
          assert.ok(Math.abs(x.duration_ms - expected) <= 50, `${file}: API ${x.duration_ms} ms, Ogg ${expected.toFixed(0)} ms`);
          compared++;
        }
      }
      assert.equal(compared, 41);

      const tracks = (await get(`/v1/albums/${album.id}/tracks?limit=50`)).body.items;
      assert.deepEqual(tracks.map((x: any) => fileOf.get(x.id)).sort(), [...onAlbum].sort());
      for (const x of tracks) {
        const tg = tags.get(fileOf.get(x.id)!)!;
        const disc = Number(tg.get("DISCNUMBER")?.[0] ?? 1);
        const num = Number(tg.get("TRACKNUMBER")?.[0] ?? 0);
        assert.deepEqual([x.disc_number, x.track_number], [disc, num], `${fileOf.get(x.id)} (${x.name})`);
        assert.equal(x.name, tg.get("TITLE")?.[0]);
        assert.deepEqual(x.artists.map((a: any) => a.name), tg.get("ARTIST"));
      }
      const keys = tracks.map((x: any) => x.disc_number * 1000 + x.track_number);
      assert.deepEqual(keys, [...keys].sort((a, b) => a - b), "album tracks in disc/track order");
      assert.deepEqual([...new Set(tracks.map((x: any) => x.disc_number))], [1, 2]);
    } finally {
      const exit = await server.stop();
      assert.equal(exit.code, 0);
    }
  });
});
