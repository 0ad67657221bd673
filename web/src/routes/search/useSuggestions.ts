// Suggestions for the text in the search box, asked for on every change (no debounce: the server
// answers within milliseconds). Answers that arrive out of order never replace a newer one.
// While the server is still building its search index it answers 503: the state says "indexing"
// and the same query is asked again after Retry-After.
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { isAbortError } from '../../api/errors';
import { indexingRetryMs, suggest, type Suggestions } from '../../api/search';
import { LatestOnly } from './latest';

/** Results per type. */
export const SUGGEST_LIMIT = 5;

export type SuggestState =
  | { status: 'idle' }
  | { status: 'ready'; q: string; data: Suggestions }
  | { status: 'indexing'; q: string }
  | { status: 'error'; q: string; error: unknown };

export function useSuggestions(query: string): { state: SuggestState; retry(): void } {
  const latest = useMemo(() => new LatestOnly(), []);
  const [state, setState] = useState<SuggestState>({ status: 'idle' });
  const [round, setRound] = useState(0);
  const again = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    if (again.current !== null) clearTimeout(again.current);
    again.current = null;
    if (query.trim() === '') {
      latest.cancelAll();
      setState({ status: 'idle' });
      return;
    }
    const { seq, signal } = latest.start();
    suggest(query, SUGGEST_LIMIT, signal).then(
      (data) => {
        if (latest.accept(seq)) setState({ status: 'ready', q: query, data });
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
  }, [latest, query, round]);

  useEffect(() => () => {
    latest.cancelAll();
    if (again.current !== null) clearTimeout(again.current);
  }, [latest]);

  const retry = useCallback(() => setRound((r) => r + 1), []);
  return { state, retry };
}
