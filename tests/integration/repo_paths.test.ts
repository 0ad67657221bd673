// Benchmarks, scripts, tests and docs name shared data relative to the repository
// (../shared/data, resolved from the script's own location) and never an absolute machine path
// (issue 16): the repository works wherever it is cloned, with shared/ beside it.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../lib/server.ts";

const TEXT = /\.(sh|py|mjs|js|ts|tsx|cc|h|cmake|txt|md|lua|toml|json|yml|yaml)$|(^|\/)(Makefile|run)$/;
const SKIP_DIRS = new Set(["node_modules", "build", "dist", ".git", "corpus", "artifacts"]);
// A path on some machine: a home folder, root's, or this workplace's.
const MACHINE_PATH = /(^|[\s"'`=(:])\/(work|home\/[A-Za-z0-9_.-]+|root|Users\/[A-Za-z0-9_.-]+)\//;

function* files(dir: string): Generator<string> {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIP_DIRS.has(e.name)) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (TEXT.test(p)) yield p;
  }
}

describe("repository paths", () => {
  it("no file names an absolute machine path", () => {
    const offenders: string[] = [];
    const roots = ["bench", "docs", "scripts", "src", "tests", ".ci", "web/src", "README.md", "Makefile", "CMakeLists.txt"];
    for (const r of roots) {
      const full = path.join(REPO_ROOT, r);
      if (!fs.existsSync(full)) continue;
      const list = fs.statSync(full).isDirectory() ? [...files(full)] : [full];
      for (const f of list) {
        const lines = fs.readFileSync(f, "utf8").split("\n");
        lines.forEach((line, i) => {
          if (MACHINE_PATH.test(line)) offenders.push(`${path.relative(REPO_ROOT, f)}:${i + 1}: ${line.trim()}`);
        });
      }
    }
    assert.deepEqual(offenders, [], "absolute machine paths:\n" + offenders.join("\n"));
  });

  it("the benchmarks' shared data resolves to ../shared/data beside the repository", () => {
    const shared = path.resolve(REPO_ROOT, "..", "shared", "data");
    // Each script's own folder joined with the relative path it uses.
    const uses: Array<[string, RegExp]> = [
      ["bench/crdt/run.sh", /\$HERE\/((?:\.\.\/)+shared\/data)\/crdt-traces/],
      ["bench/crdt/trace.mjs", /new URL\('((?:\.\.\/)+shared\/data)\/crdt-traces'/],
      ["bench/make_catalog_csv.py", /os\.path\.dirname\(os\.path\.abspath\(__file__\)\), ((?:"\.\.", )+"shared", "data")/],
    ];
    for (const [file, re] of uses) {
      const text = fs.readFileSync(path.join(REPO_ROOT, file), "utf8");
      const m = re.exec(text);
      assert.ok(m, `${file} names the shared data relative to itself`);
      const rel = m[1].replace(/"/g, "").split(/,\s*|\//).filter((x) => x.length > 0);
      assert.equal(path.resolve(path.dirname(path.join(REPO_ROOT, file)), ...rel), shared, file);
    }
    const cmake = fs.readFileSync(path.join(REPO_ROOT, "bench", "CMakeLists.txt"), "utf8");
    assert.match(cmake, /SEGUE_SHARED_DATA="\$\{PROJECT_SOURCE_DIR\}\/\.\.\/shared\/data"/);
  });
});
