// Automerge on the same traces as crdt_bench.cc: run with node --expose-gc. One change per
// patch (like the other implementations: every edit is its own update).
import * as A from '@automerge/automerge/next';
import { load, countOps, mem, replayConcurrent, result } from './trace.mjs';

function figures(name, ops, doc, ms, m0, expected, cpu0) {
  const cpu = process.cpuUsage(cpu0);
  const m1 = mem();
  let t0 = performance.now();
  const bytes = A.save(doc);
  const encodeMs = performance.now() - t0;
  t0 = performance.now();
  const doc2 = A.load(bytes);
  const text = doc2.text.toString();
  const loadMs = performance.now() - t0;
  const ok = text === expected && doc.text.toString() === expected;
  result({ impl: 'automerge', trace: name, ops, ms: ms.toFixed(1), cpu_ms: ((cpu.user + cpu.system) / 1000).toFixed(1), heap_bytes: m1.heap - m0.heap,
           rss_delta_kb: Math.round((m1.rss - m0.rss) / 1024), snapshot_bytes: bytes.length,
           encode_ms: encodeMs.toFixed(1), load_ms: loadMs.toFixed(1), ok: ok ? 1 : 0 });
  if (!ok) process.exitCode = 1;
}

function edit(doc, txn) {
  return A.change(doc, (d) => {
    for (const [pos, del, ins] of txn.patches) A.splice(d, ['text'], pos, del, ins);
  });
}

const only = process.argv[2];
if (!only || only === 'automerge-paper') {
  const trace = load('sequential/automerge-paper');
  const m0 = mem();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let doc = A.from({ text: '' }, { actor: '01' });
  for (const txn of trace.txns) doc = edit(doc, txn);
  figures('automerge-paper', countOps(trace), doc, performance.now() - t0, m0, trace.endContent, cpu0);
}

for (const name of ['friendsforever', 'clownschool']) {
  if (only && only !== name) continue;
  const trace = load(`concurrent/${name}`);
  const m0 = mem();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const base = A.from({ text: '' }, { actor: 'ff' });
  const updates = replayConcurrent(trace, {
    make(a) { return A.clone(base, { actor: (a + 1).toString(16).padStart(2, '0') }); },
    local(doc, txn) {
      const next = edit(doc, txn);
      return [next, A.getLastLocalChange(next)];
    },
    remote(doc, change) { return A.applyChanges(doc, [change])[0]; },
  });
  const [merged] = A.applyChanges(A.clone(base, { actor: 'fe' }), updates);
  figures(name, countOps(trace), merged, performance.now() - t0, m0, trace.endContent, cpu0);
}
