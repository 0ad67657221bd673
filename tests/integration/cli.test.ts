// The segue command line: bad input exits non-zero with one line saying why.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { addUser, cleanEnv, runSegue, SEGUE_BIN, tempDir } from "../lib/server.ts";

function assertRefused(args: string[], reason: RegExp, input?: string): void {
  const r = runSegue(args, input, 20_000);
  assert.notEqual(r.status, 0, `segue ${args.join(" ")} should fail; stdout: ${r.stdout}`);
  assert.equal(r.signal, null, "it exits, it does not crash");
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0], /^segue: /);
  assert.match(lines[0], reason);
}

describe("CLI errors", () => {
  const data = tempDir("segue-cli-");

  it("unknown command", () => assertRefused(["frobnicate"], /unknown command 'frobnicate'/));
  it("unknown flag", () => assertRefused(["scan", "--data", data, "--library", data, "--bogus", "1"], /unknown option --bogus/));
  it("a flag without its value", () => assertRefused(["serve", "--data"], /--data needs a value/));
  it("user add with a short password", () => assertRefused(["user", "add", "erin", "--data", data], /at least 8 characters/, "short\n"));
  it("user add with a bad name", () => assertRefused(["user", "add", "bad name!", "--data", data], /user name/, "long enough password\n"));
  it("user add without a password on stdin", () => assertRefused(["user", "add", "frank", "--data", data], /password/));
  it("user add with an unknown tier", () => assertRefused(["user", "add", "gina", "--tier", "gold", "--data", data], /--tier must be free or premium/, "long enough password\n"));
  it("user add of an existing name (any case)", () => {
    const d = tempDir("segue-cli-");
    addUser(d, "hank");
    assertRefused(["user", "add", "HANK", "--data", d], /exist|taken|already/i, "another password\n");
  });
  it("user without a subcommand", () => assertRefused(["user", "--data", data], /subcommand/));
  it("client add without --redirect-uri", () => assertRefused(["client", "add", "app", "--data", data], /--redirect-uri/));
  it("client add with an invalid redirect URI", () => assertRefused(["client", "add", "app", "--redirect-uri", "not a uri", "--data", data], /redirect/i));
  it("serve --listen nonsense", () => assertRefused(["serve", "--data", data, "--listen", "nonsense"], /listen/));
  it("serve --listen with a bad port", () => assertRefused(["serve", "--data", data, "--listen", "127.0.0.1:99999"], /listen|port/));
  it("scan without a library", () => assertRefused(["scan", "--data", data], /no library/));
  it("serve with a positional argument", () => assertRefused(["serve", "extra", "--data", data], /positional/));
  it("a config file that does not exist", () => assertRefused(["serve", "--config", path.join(data, "nope.toml"), "--data", data], /nope\.toml|config|open|exist/i));
  it("a config file with a syntax error", () => {
    const cfg = path.join(data, "bad.toml");
    fs.writeFileSync(cfg, "listen = [unterminated\n");
    assertRefused(["serve", "--config", cfg, "--data", data], /bad\.toml|line|toml|parse/i);
  });

  it("no arguments prints the usage and exits 2", () => {
    const r = runSegue([]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /usage: segue COMMAND/);
  });

  it("help and version succeed", () => {
    const h = runSegue(["help"]);
    assert.equal(h.status, 0);
    assert.match(h.stdout, /usage: segue/);
    const v = runSegue(["--version"]);
    assert.equal(v.status, 0);
    assert.match(v.stdout, /^segue \d+\.\d+\.\d+/);
  });

  it("user list shows added users with their tier", () => {
    const d = tempDir("segue-cli-");
    const u = addUser(d, "ivy", { tier: "premium" });
    const r = runSegue(["user", "list", "--data", d]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^ivy\\s+${u.id}\\s+premium\\s+no$`, "m"));
  });
});

describe("a new data directory", () => {
  it("two commands starting at once agree on one stream-token key", async () => {
    for (let round = 0; round < 4; round++) {
      const d = tempDir("segue-cli-race-");
      const run = (name: string) =>
        new Promise<{ code: number | null; err: string }>((resolve) => {
          const args = ["user", "add", name, "--data", d];
          const p = spawn(SEGUE_BIN, args, { env: cleanEnv(args) });
          let err = "";
          p.stderr.on("data", (c) => (err += c));
          p.stdin.end("long enough password\n");
          p.on("exit", (code) => resolve({ code, err }));
        });
      const both = await Promise.all([run("ada"), run("bea")]);
      for (const r of both) assert.equal(r.code, 0, r.err);
      assert.equal(fs.statSync(path.join(d, "secret.key")).size, 32);
      assert.deepEqual(fs.readdirSync(d).filter((f) => f.startsWith("secret.key.")), [], "no temporary key left behind");
      const users = runSegue(["user", "list", "--data", d]);
      assert.match(users.stdout, /ada/);
      assert.match(users.stdout, /bea/);
    }
  });
});
