// One token refresh at a time across all tabs of this origin. The Web Locks API does it where it
// exists (secure contexts); elsewhere a lease in localStorage stands in for it. Within a tab, a
// promise chain serializes callers either way.

const LOCK_NAME = 'segue-token-refresh';
const LEASE_KEY = 'segue.refresh-lease';
const LEASE_MS = 15_000;
const POLL_MS = 100;

let tabQueue: Promise<unknown> = Promise.resolve();

function inTab<T>(task: () => Promise<T>): Promise<T> {
  const run = tabQueue.then(task, task);
  tabQueue = run.catch(() => undefined);
  return run;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Lease { owner: string; until: number }

function readLease(): Lease | null {
  try {
    const lease = JSON.parse(localStorage.getItem(LEASE_KEY) ?? 'null') as Lease | null;
    return lease && typeof lease.owner === 'string' && typeof lease.until === 'number' ? lease : null;
  } catch {
    return null;
  }
}

async function withLease<T>(task: () => Promise<T>): Promise<T> {
  const owner = Math.random().toString(36).slice(2);
  for (;;) {
    const lease = readLease();
    if (!lease || lease.until < Date.now()) {
      localStorage.setItem(LEASE_KEY, JSON.stringify({ owner, until: Date.now() + LEASE_MS }));
      await sleep(POLL_MS / 2); // a tab that wrote at the same moment wins or loses here
      if (readLease()?.owner === owner) break;
    }
    await sleep(POLL_MS);
  }
  try {
    return await task();
  } finally {
    if (readLease()?.owner === owner) localStorage.removeItem(LEASE_KEY);
  }
}

export function withRefreshLock<T>(task: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (locks?.request) return inTab(() => locks.request(LOCK_NAME, () => task()) as Promise<T>);
  return inTab(() => withLease(task));
}
