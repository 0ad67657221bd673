// Shared by yjs.mjs and automerge.mjs: load a trace (gzip JSON, see
// ../shared/data/crdt-traces/README.md), replay it, print RESULT lines like crdt_bench.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export const DIR = process.env.CRDT_TRACES || new URL('../../../shared/data/crdt-traces', import.meta.url).pathname;

export function load(rel) {
  return JSON.parse(gunzipSync(readFileSync(`${DIR}/${rel}.json.gz`)).toString('utf8'));
}

export function countOps(trace) {
  let n = 0;
  for (const t of trace.txns) for (const [, del, ins] of t.patches) n += del + [...ins].length;
  return n;
}

export function mem() {
  global.gc();
  global.gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.arrayBuffers, rss: m.rss };
}

// Concurrent replay: one document per agent; before each txn the agent's document receives the
// updates of the txn's ancestors it lacks, in trace order; then the txn's patches are applied
// locally and its update recorded. `impl` = { make(agent), local(doc, txn) -> [doc, update],
// remote(doc, update) -> doc }.
export function replayConcurrent(trace, impl) {
  const docs = [];
  const has = [];
  for (let a = 0; a < trace.numAgents; a++) {
    docs.push(impl.make(a));
    has.push(new Uint8Array(trace.txns.length));
  }
  const updates = new Array(trace.txns.length);
  trace.txns.forEach((txn, i) => {
    const mine = has[txn.agent];
    const need = [];
    const stack = [...txn.parents];
    while (stack.length) {
      const p = stack.pop();
      if (mine[p]) continue;
      mine[p] = 1;
      need.push(p);
      stack.push(...trace.txns[p].parents);
    }
    need.sort((x, y) => x - y);
    for (const p of need) docs[txn.agent] = impl.remote(docs[txn.agent], updates[p]);
    const [doc, update] = impl.local(docs[txn.agent], txn);
    docs[txn.agent] = doc;
    updates[i] = update;
    mine[i] = 1;
  });
  return updates;
}

export function result(fields) {
  console.log('RESULT bench=crdt ' + Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(' '));
}
