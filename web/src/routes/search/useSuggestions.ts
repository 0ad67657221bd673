// Suggestions for the text in the search box, asked for on every change (no debounce: the server
// answers within milliseconds). Answers that arrive out of order never replace a newer one.
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { isAbortError } from '../../api/errors';
import { suggest, type Suggestions } from '../../api/search';
import { LatestOnly } from './latest';

/** Results per type. */
export const SUGGEST_LIMIT = 5;

export type SuggestState =
  | { status: 'idle' }
  | { status: 'ready'; q: string; data: Suggestions }
  | { status: 'error'; q: string; error: unknown };

export function useSuggestions(query: string): { state: SuggestState; retry(): void } {
  const latest = useMemo(() => new LatestOnly(), []);
  const [state, setState] = useState<SuggestState>({ status: 'idle' });
  const [round, setRound] = useState(0);

  useEffect(() => {
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
        if (latest.acceptFailure(seq)) setState({ status: 'error', q: query, error });
      },
    );
  }, [latest, query, round]);

  useEffect(() => () => latest.cancelAll(), [latest]);

  const retry = useCallback(() => setRound((r) => r + 1), []);
  return { state, retry };
}
