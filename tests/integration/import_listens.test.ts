// `segue import listens`: a household's history from ListenBrainz and Last.fm exports, matched
// to the catalog by folded artist and title; unmatched listens are kept until a scan brings
// their track; importing twice adds nothing; users are created only when asked.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { addUser, demoLibrary, runSegue, tempDir } from "../lib/server.ts";

function importListens(data: string, files: string[], ...flags: string[]) {
  const r = runSegue(["import", "listens", "--data", data, ...flags, ...files], undefined, 60_000);
  assert.equal(r.signal, null);
  return r;
}

// "import: R listens read in ... N new, M matched to a track, U kept unmatched; B refused, S skipped; E earlier ..."
function counts(stdout: string) {
  const m = /import: (\d+) listens read .*?: (\d+) new, (\d+) matched to a track, (\d+) kept unmatched; (\d+) refused, (\d+) skipped; (\d+) earlier/.exec(stdout);
  assert.ok(m, `no summary in: ${stdout}`);
  const [read, added, matched, unmatched, refused, skipped, resolved] = m.slice(1).map(Number);
  return { read, added, matched, unmatched, refused, skipped, resolved };
}

describe("import listens", () => {
  const lib = demoLibrary();
  const dir = tempDir("segue-import-");
  const data = path.join(dir, "data");
  fs.mkdirSync(data);
  addUser(data, "rob");
  // ListenBrainz lines for rob: two demo tracks (one with folded names), one track no library
  // has, one broken line; and one line of a user Segue does not know.
  const lb = path.join(dir, "rob.jsonl");
  fs.writeFileSync(lb, [
    JSON.stringify({ listened_at: 1612345678, user_name: "rob", track_metadata: { artist_name: "Marlow Vance", track_name: "Low Tide Letters", release_name: "Harbor Lights" } }),
    JSON.stringify({ listened_at: 1612346000, user_name: "rob", track_metadata: { artist_name: "NADIA ORE", track_name: "prism bloom" } }),
    JSON.stringify({ listened_at: 1612347000, user_name: "rob", track_metadata: { artist_name: "Nobody Here", track_name: "Not In Any Library" } }),
    "{ this is not json",
    JSON.stringify({ listened_at: 1612348000, user_name: "grandma", track_metadata: { artist_name: "Marlow Vance", track_name: "Low Tide Letters" } }),
    "",
  ].join("\n"));
  const csv = path.join(dir, "scrobbles.csv");
  fs.writeFileSync(csv, "artist,album,track,date\r\nMarlow Vance,Harbor Lights,Low Tide Letters,03 Feb 2021 09:41\r\n\"Copper Lanterns, The\",,Unknown Tune,1612349999\r\nA,B,C,yesterday\r\n");

  it("keeps listens of a library not scanned yet, and the scan matches them", () => {
    const r = importListens(data, [lb]);
    assert.equal(r.status, 0, r.stderr);
    const c = counts(r.stdout);
    assert.deepEqual(c, { read: 4, added: 3, matched: 0, unmatched: 3, refused: 1, skipped: 1, resolved: 0 });
    assert.match(r.stdout, /refused: .*rob\.jsonl: line 4: not JSON/);
    assert.match(r.stdout, /skipped user grandma: not in Segue/);
    const scan = runSegue(["scan", "--data", data, "--library", lib]);
    assert.equal(scan.status, 0, scan.stderr);
    assert.match(scan.stdout, /listens: 2 imported listens matched to the new tracks/);
  });

  it("adds nothing the second time, and matches at once now that the tracks exist", () => {
    const again = counts(importListens(data, [lb]).stdout);
    assert.equal(again.read, 4);
    assert.equal(again.added, 0);
    assert.equal(again.matched, 2);
    assert.equal(again.resolved, 0);
  });

  it("reads Last.fm CSVs for the user named with --user", () => {
    const r = importListens(data, [csv], "--user", "rob");
    assert.equal(r.status, 0, r.stderr);
    const c = counts(r.stdout);
    assert.deepEqual(c, { read: 2, added: 2, matched: 1, unmatched: 1, refused: 1, skipped: 0, resolved: 0 });
    assert.match(r.stdout, /line 4: unreadable timestamp 'yesterday'/);
  });

  it("creates missing users only with --create-users", () => {
    const r = importListens(data, [lb], "--create-users");
    assert.equal(r.status, 0, r.stderr);
    const c = counts(r.stdout);
    assert.equal(c.added, 1);  // grandma's one listen
    assert.equal(c.skipped, 0);
    assert.match(r.stdout, /created user grandma \(no login/);
    const users = runSegue(["user", "list", "--data", data]);
    assert.match(users.stdout, /grandma/);
  });

  it("refuses a missing file and a missing subcommand with one line", () => {
    const r = runSegue(["import", "listens", "--data", data, path.join(dir, "nope.jsonl")]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /^segue: cannot read .*nope\.jsonl/);
    const s = runSegue(["import", "--data", data]);
    assert.notEqual(s.status, 0);
    assert.match(s.stderr, /import needs a subcommand: listens/);
  });
});
