// The user's recent searches (shown while the search box is empty): choosing one searches it
// again; each has a remove button, and "Clear recent searches" forgets them all.
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { describeError, isAbortError } from '../../api/errors';
import { clearRecentSearches, getRecentSearches, removeRecentSearch, type RecentSearch } from '../../api/search';
import { CloseIcon, HistoryIcon } from '../../components/Icons';
import { ErrorMessage, Loading } from '../../components/LoadState';
import { showNotice } from '../../components/notices';

interface Props {
  onPick(query: string): void;
  /** Where focus goes when the last recent search is removed. */
  onEmptied(): void;
}

export function RecentSearches({ onPick, onEmptied }: Props) {
  const [items, setItems] = useState<RecentSearch[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [round, setRound] = useState(0);
  const list = useRef<HTMLUListElement>(null);
  const headingId = useId();

  useEffect(() => {
    const controller = new AbortController();
    setError(null);
    getRecentSearches(20, controller.signal).then(
      (loaded) => { if (!controller.signal.aborted) setItems(loaded); },
      (cause: unknown) => { if (!controller.signal.aborted && !isAbortError(cause)) setError(cause); },
    );
    return () => controller.abort();
  }, [round]);

  const reload = () => setRound((r) => r + 1);

  const remove = (query: string, index: number) => {
    const rest = (items ?? []).filter((item) => item.query !== query);
    setItems(rest);
    // Focus stays in the list: on the row that took this one's place, else the one before.
    requestAnimationFrame(() => {
      const buttons = list.current?.querySelectorAll<HTMLElement>('.recent-remove');
      const next = buttons?.[Math.min(index, buttons.length - 1)];
      if (next) next.focus();
      else onEmptied();
    });
    removeRecentSearch(query).catch((cause: unknown) => {
      showNotice(`Could not remove “${query}” from recent searches: ${describeError(cause)}`);
      reload();
    });
  };

  const clear = () => {
    setItems([]);
    onEmptied();
    clearRecentSearches().catch((cause: unknown) => {
      showNotice(`Could not clear recent searches: ${describeError(cause)}`);
      reload();
    });
  };

  if (error != null) return <ErrorMessage error={error} onRetry={reload} />;
  if (items === null) return <Loading label="Loading recent searches…" />;
  if (items.length === 0) {
    return <p class="muted search-hint">Find songs, artists, albums and playlists. Your recent searches appear here.</p>;
  }
  return (
    <section class="recent-searches" aria-labelledby={headingId}>
      <div class="section-head">
        <h2 id={headingId}>Recent searches</h2>
        <button type="button" class="button button-small button-outline" onClick={clear}>Clear recent searches</button>
      </div>
      <ul ref={list} class="recent-list" aria-labelledby={headingId}>
        {items.map((item, i) => (
          <li key={item.query} class="recent-row">
            <button type="button" class="recent-query" data-result onClick={() => onPick(item.query)}>
              <HistoryIcon size={20} />
              <span class="recent-text">{item.query}</span>
            </button>
            <button
              type="button"
              class="icon-button recent-remove"
              aria-label={`Remove “${item.query}” from recent searches`}
              title="Remove"
              onClick={() => remove(item.query, i)}
            >
              <CloseIcon size={18} />
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
