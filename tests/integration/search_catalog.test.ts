// Relevance through the whole product: real titles, artists and albums from the TidyTuesday
// Spotify catalog (../shared/data/catalog, MIT; read in place, skipped when absent) written as
// tagged audio files by `segue demo-library DIR --catalog FILE.csv`, scanned by `segue serve`,
// indexed by the search indexer, and queried over HTTP with the hand-written queries of
// src/search/tests/data/relevance_queries.tsv (track and artist queries).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { REPO_ROOT, addClient, addUser, runSegue, startServer, tempDir, type Server, REDIRECT } from "../lib/server.ts";
import { ALL_SCOPES, api, login } from "../lib/oauth.ts";

const CATALOG = path.resolve(REPO_ROOT, "..", "shared", "data", "catalog", "tidytuesday-2020-01-21-spotify-songs", "tracks.csv.gz");
const QUERIES = path.join(REPO_ROOT, "src", "search", "tests", "data", "relevance_queries.tsv");
const OTHER_ROWS = 1500; // rows besides the targets, so that every query has competition

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(field); field = ""; }
    else if (c === "\n") { row.push(field); rows.push(row); row = []; field = ""; }
    else if (c !== "\r") field += c;
  }
  if (field.length > 0 || row.length > 0) { row.push(field); rows.push(row); }
  return rows;
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

interface Row { id: string; title: string; artist: string; album: string; year: string; popularity: number }
interface Query { q: string; kind: "track" | "artist"; title?: string; artist: string }

const haveData = fs.existsSync(CATALOG);
let server: Server;
let token: string;
const queries: Query[] = [];

before(async () => {
  if (!haveData) return;
  const rows = parseCsv(zlib.gunzipSync(fs.readFileSync(CATALOG)).toString("utf8"));
  const head = rows[0];
  const col = (n: string) => head.indexOf(n);
  const all: Row[] = rows.slice(1).filter((r) => r.length === head.length && r[col("track_name")] && r[col("track_artist")] !== "NA").map((r) => ({
    id: r[col("track_id")], title: r[col("track_name")], artist: r[col("track_artist")], album: r[col("track_album_name")],
    year: r[col("track_album_release_date")].slice(0, 4), popularity: Number(r[col("track_popularity")]),
  }));
  const byId = new Map(all.map((r) => [r.id, r]));
  const chosen = new Map<string, Row>();
  for (const line of fs.readFileSync(QUERIES, "utf8").split("\n")) {
    if (line.startsWith("#") || line.startsWith("query\t") || !line.trim()) continue;
    const [q, kind, expected] = line.split("\t");
    if (kind === "track" && byId.has(expected)) {
      const r = byId.get(expected)!;
      chosen.set(r.id, r);
      queries.push({ q, kind, title: r.title, artist: r.artist });
    } else if (kind === "artist") {
      const r = all.filter((x) => x.artist === expected).sort((a, b) => b.popularity - a.popularity)[0];
      if (!r) continue;
      chosen.set(r.id, r);
      queries.push({ q, kind, artist: expected });
    }
  }
  // The most popular other rows, so the competition is the songs people would also look for.
  for (const r of [...all].sort((a, b) => b.popularity - a.popularity)) {
    if (chosen.size >= queries.length + OTHER_ROWS) break;
    chosen.set(r.id, r);
  }
  const dir = tempDir("segue-search-catalog-");
  const csv = ["title,artist,album,genre,year", ...[...chosen.values()].map((r) =>
    [r.title, r.artist, r.album, "", r.year].map(csvField).join(","))].join("\n");
  fs.writeFileSync(path.join(dir, "catalog.csv"), csv);
  const lib = path.join(dir, "music");
  const made = runSegue(["demo-library", lib, "--catalog", path.join(dir, "catalog.csv")], undefined, 600_000);
  assert.equal(made.status, 0, made.stderr);
  const data = tempDir("segue-data-");
  const user = addUser(data, "alice");
  const client = addClient(data, "app", REDIRECT, true);
  server = await startServer({ data, libraries: [lib], minTracks: chosen.size - 50 });
  for (let i = 0; i < 300; i++) {
    const m = await (await fetch(server.url("/metrics"))).text();
    if (/^segue_search_ready\s+1/m.test(m) && /^segue_search_documents_indexed\s+[1-9]/m.test(m)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  token = (await login(server.base, client, user, ALL_SCOPES)).access_token;
});
after(async () => server?.stop());

describe("relevance on the real catalog, through files, scan, index and HTTP", { skip: haveData ? false : `no catalog at ${CATALOG}` }, () => {
  it("finds the expected track or artist first for most hand-written queries (MRR >= 0.9)", async () => {
    let rr = 0;
    let first = 0;
    const misses: string[] = [];
    for (const q of queries) {
      const type = q.kind;
      const r = await api(server.base, `/v1/search?q=${encodeURIComponent(q.q)}&type=${type}&limit=10`, { token });
      assert.equal(r.status, 200, r.text);
      const items: any[] = r.body[`${type}s`].items;
      const rank = items.findIndex((x) => type === "artist"
        ? x.name === q.artist
        : x.name === q.title && x.artists.some((a: any) => a.name === q.artist)) + 1;
      if (rank > 0) rr += 1 / rank;
      if (rank === 1) first++;
      else misses.push(`${q.q} -> ${rank || "absent"} (top: ${items[0]?.name ?? "none"})`);
    }
    const mrr = rr / queries.length;
    console.log(`search on a real-catalog library: ${queries.length} queries, rank-1 ${(100 * first / queries.length).toFixed(1)} %, MRR ${mrr.toFixed(3)}`);
    if (misses.length) console.log("  not first:\n  " + misses.join("\n  "));
    assert.ok(queries.length >= 150, `only ${queries.length} queries resolved`);
    assert.ok(mrr >= 0.9, `MRR ${mrr.toFixed(3)} < 0.9`);
  });
});
