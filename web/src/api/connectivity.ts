// Whether Segue answers. Requests that fail to reach it report here and wait for the next retry:
// after a backoff delay, or at once when someone presses "Retry" in the banner.

export interface Connectivity {
  unreachable: boolean;
}

type Listener = (state: Connectivity) => void;

const BASE_DELAY_MS = 1000;
const MAX_DELAY_MS = 30_000;

/** Delay before retry number `attempt` (0-based): 1 s, 2 s, 4 s, ... capped at 30 s. */
export function backoffDelay(attempt: number): number {
  return Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, attempt));
}

let state: Connectivity = { unreachable: false };
const listeners = new Set<Listener>();
const waiting = new Set<() => void>();

function set(next: Connectivity): void {
  if (next.unreachable === state.unreachable) return;
  state = next;
  for (const listener of listeners) listener(state);
}

export function getConnectivity(): Connectivity {
  return state;
}

export function subscribeConnectivity(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function reportReachable(): void {
  set({ unreachable: false });
}

export function reportUnreachable(): void {
  set({ unreachable: true });
}

/** Wakes every request waiting to retry. */
export function retryNow(): void {
  for (const wake of [...waiting]) wake();
}

/** Resolves after the backoff delay for `attempt` or on retryNow(); rejects if `signal` aborts. */
export function waitForRetry(attempt: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      waiting.delete(done);
      signal?.removeEventListener('abort', aborted);
      resolve();
    };
    const aborted = () => {
      clearTimeout(timer);
      waiting.delete(done);
      reject(signal?.reason ?? new DOMException('Aborted', 'AbortError'));
    };
    const timer = setTimeout(done, backoffDelay(attempt) * (0.8 + Math.random() * 0.4));
    waiting.add(done);
    if (signal?.aborted) aborted();
    else signal?.addEventListener('abort', aborted, { once: true });
  });
}
