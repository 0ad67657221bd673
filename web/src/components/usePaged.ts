import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { isAbortError } from '../api/errors';
import type { Paging } from '../api/types';

export interface PagedState<T> {
  items: T[];
  total: number | null;
  busy: boolean;
  error: unknown;
  hasMore: boolean;
  loadMore(): void;
}

/** Pages through a Spotify paging endpoint, appending each page; restarts when `key` changes. */
export function usePaged<T>(key: string, fetchPage: (offset: number, signal: AbortSignal) => Promise<Paging<T>>): PagedState<T> {
  const [items, setItems] = useState<T[]>([]);
  const [total, setTotal] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const controller = useRef<AbortController | null>(null);
  const state = useRef({ offset: 0, busy: false, done: false });

  const load = useCallback(() => {
    if (state.current.busy || state.current.done) return;
    state.current.busy = true;
    setBusy(true);
    setError(null);
    const signal = controller.current!.signal;
    fetchPage(state.current.offset, signal).then((page) => {
      if (signal.aborted) return;
      state.current.offset += page.items.length;
      state.current.done = !page.next || page.items.length === 0;
      setItems((previous) => previous.concat(page.items));
      setTotal(page.total);
      setDone(state.current.done);
    }, (cause) => {
      if (!signal.aborted && !isAbortError(cause)) setError(cause);
    }).finally(() => {
      if (signal.aborted) return;
      state.current.busy = false;
      setBusy(false);
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  useEffect(() => {
    controller.current = new AbortController();
    state.current = { offset: 0, busy: false, done: false };
    setItems([]);
    setTotal(null);
    setDone(false);
    load();
    return () => controller.current?.abort();
  }, [key]);

  return { items, total, busy, error, hasMore: !done, loadMore: load };
}
