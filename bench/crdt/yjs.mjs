// Yjs on the same traces as crdt_bench.cc: run with node --expose-gc.
import * as Y from 'yjs';
import { load, countOps, mem, replayConcurrent, result } from './trace.mjs';

function figures(name, ops, doc, ms, m0, expected, cpu0) {
  const cpu = process.cpuUsage(cpu0);
  const m1 = mem();
  let t0 = performance.now();
  const bytes = Y.encodeStateAsUpdate(doc);
  const encodeMs = performance.now() - t0;
  t0 = performance.now();
  const doc2 = new Y.Doc();
  Y.applyUpdate(doc2, bytes);
  const text = doc2.getText('text').toString();
  const loadMs = performance.now() - t0;
  const ok = text === expected && doc.getText('text').toString() === expected;
  result({ impl: 'yjs', trace: name, ops, ms: ms.toFixed(1), cpu_ms: ((cpu.user + cpu.system) / 1000).toFixed(1), heap_bytes: m1.heap - m0.heap,
           rss_delta_kb: Math.round((m1.rss - m0.rss) / 1024), snapshot_bytes: bytes.length,
           encode_ms: encodeMs.toFixed(1), load_ms: loadMs.toFixed(1), ok: ok ? 1 : 0 });
  if (!ok) process.exitCode = 1;
}

// One trace per process when a name is given (run.sh does that, so that one trace's garbage
// does not show in the next one's heap figure).
const only = process.argv[2];
if (!only || only === 'automerge-paper') {
  const trace = load('sequential/automerge-paper');
  const m0 = mem();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const doc = new Y.Doc();
  const text = doc.getText('text');
  for (const txn of trace.txns) {
    for (const [pos, del, ins] of txn.patches) {
      if (del) text.delete(pos, del);
      if (ins) text.insert(pos, ins);
    }
  }
  figures('automerge-paper', countOps(trace), doc, performance.now() - t0, m0, trace.endContent, cpu0);
}

for (const name of ['friendsforever', 'clownschool']) {
  if (only && only !== name) continue;
  const trace = load(`concurrent/${name}`);
  const m0 = mem();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const updates = replayConcurrent(trace, {
    make(a) {
      const d = new Y.Doc();
      d.clientID = a + 1;
      return d;
    },
    local(doc, txn) {
      let update = null;
      const on = (u, origin) => { if (origin === 'local') update = u; };
      doc.on('update', on);
      doc.transact(() => {
        const text = doc.getText('text');
        for (const [pos, del, ins] of txn.patches) {
          if (del) text.delete(pos, del);
          if (ins) text.insert(pos, ins);
        }
      }, 'local');
      doc.off('update', on);
      return [doc, update];
    },
    remote(doc, update) {
      if (update) Y.applyUpdate(doc, update, 'remote');
      return doc;
    },
  });
  const merged = new Y.Doc();
  for (const u of updates) if (u) Y.applyUpdate(merged, u);
  figures(name, countOps(trace), merged, performance.now() - t0, m0, trace.endContent, cpu0);
}
