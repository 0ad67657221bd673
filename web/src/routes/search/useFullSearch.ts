// One type of result in full (the Songs, Artists, Albums or Playlists filter): the Spotify-shaped
// search, a page at a time, following the typing like the suggestions (answers never go backwards).
// While the server is still building its search index: "indexing", asked again after Retry-After.
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { describeError, isAbortError } from '../../api/errors';
import { indexingRetryMs, search, type SearchResponse, type SearchType } from '../../api/search';
import { showNotice } from '../../components/notices';
import { LatestOnly } from './latest';

export const PAGE = 30;

export interface FullResults {
  q: string;
  type: SearchType;
  items: { id: string }[];
  total: number;
  corrected: string | null;
}

export type FullState =
  | { status: 'idle' }
  | { status: 'ready'; data: FullResults }
  | { status: 'indexing'; q: string }
  | { status: 'error'; q: string; error: unknown };

function pageOf(type: SearchType, response: SearchResponse) {
  const page = response[`${type}s` as const];
  const items = (page?.items ?? []).filter((item): item is NonNullable<typeof item> => item != null && typeof item.id === 'string');
  return { items, total: page?.total ?? items.length };
}

export function useFullSearch(query: string, type: SearchType | null) {
  const latest = useMemo(() => new LatestOnly(), []);
  const [state, setState] = useState<FullState>({ status: 'idle' });
  const [round, setRound] = useState(0);
  const [loadingMore, setLoadingMore] = useState(false);
  const more = useRef<AbortController | null>(null);
  const again = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    if (again.current !== null) clearTimeout(again.current);
    again.current = null;
    more.current?.abort();
    more.current = null;
    setLoadingMore(false);
    if (!type || query.trim() === '') {
      latest.cancelAll();
      setState({ status: 'idle' });
      return;
    }
    const { seq, signal } = latest.start();
    search(query, [type], PAGE, 0, signal).then(
      (response) => {
        if (!latest.accept(seq)) return;
        const { items, total } = pageOf(type, response);
        const corrected = typeof response.corrected_query === 'string' && response.corrected_query ? response.corrected_query : null;
        setState({ status: 'ready', data: { q: query, type, items, total, corrected } });
      },
      (error: unknown) => {
        if (isAbortError(error) || signal.aborted) return;
        if (!latest.acceptFailure(seq)) return;
        const wait = indexingRetryMs(error);
        if (wait === null) {
          setState({ status: 'error', q: query, error });
          return;
        }
        setState({ status: 'indexing', q: query });
        again.current = setTimeout(() => setRound((r) => r + 1), wait);
      },
    );
  }, [latest, query, type, round]);

  useEffect(() => () => {
    latest.cancelAll();
    more.current?.abort();
    if (again.current !== null) clearTimeout(again.current);
  }, [latest]);

  const data = state.status === 'ready' ? state.data : null;
  const hasMore = data !== null && data.items.length < data.total;

  const loadMore = useCallback(() => {
    if (!data || !hasMore || more.current) return;
    const controller = new AbortController();
    more.current = controller;
    setLoadingMore(true);
    search(data.q, [data.type], PAGE, data.items.length, controller.signal).then(
      (response) => {
        if (controller.signal.aborted) return;
        more.current = null;
        setLoadingMore(false);
        const page = pageOf(data.type, response);
        setState((s) => s.status === 'ready' && s.data === data
          ? { status: 'ready', data: { ...data, items: [...data.items, ...page.items], total: page.items.length ? page.total : data.items.length } }
          : s);
      },
      (error: unknown) => {
        if (controller.signal.aborted || isAbortError(error)) return;
        more.current = null;
        setLoadingMore(false);
        showNotice(`Could not load more results: ${describeError(error)}`);
      },
    );
  }, [data, hasMore]);

  const retry = useCallback(() => setRound((r) => r + 1), []);
  return { state, hasMore, loadingMore, loadMore, retry };
}
