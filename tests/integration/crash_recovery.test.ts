// kill -9 at random moments of a mixed write load, 10 times, with every acknowledged write and
// every derived count checked after each restart (tests/lib/crash_loop.ts says what is
// checked). bench/crash_loop.sh runs the same loop with 100 kills.
import { it } from "node:test";
import assert from "node:assert/strict";
import { runCrashLoop } from "../lib/crash_loop.ts";

it("10 kill -9 during playlist edits, library saves, events and preference changes lose nothing acknowledged and counts match recounts", { timeout: 120_000 }, async () => {
  const seed = Number(process.env.SEGUE_CRASH_SEED ?? Date.now() % 1_000_000);
  // The consumers' replay comparison (a few segue processes) after every other restart keeps
  // the test near 40 s; bench/crash_loop.sh compares after every one.
  const report = await runCrashLoop({ kills: 10, seed, replayEvery: 2, log: (l) => process.env.SEGUE_CRASH_VERBOSE && console.log(l) });
  assert.equal(report.kills, 10);
  assert.equal(report.checks, 10, `seed ${seed}`);
  assert.equal(report.replayComparisons, 5, `seed ${seed}`);
  // The load really wrote between kills (a loop that only restarts proves nothing).
  assert.ok(report.acknowledged.playlistOps > 20, `only ${report.acknowledged.playlistOps} playlist edits (seed ${seed})`);
  assert.ok(report.acknowledged.events > 100, `only ${report.acknowledged.events} events (seed ${seed})`);
  assert.ok(report.acknowledged.libraryOps > 10, `only ${report.acknowledged.libraryOps} library changes (seed ${seed})`);
});
