// Search as you type: the results follow every keystroke (suggest endpoint), "Showing results for"
// when the server corrected a word, recent searches while the box is empty, the arrow keys move
// between the results, and the query lives in the URL (/search?q=...) so a reload keeps it.
// A search is recorded as recent when the user commits to it: Enter, or a result opened or played.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { isEmpty, recordSearch } from '../../api/search';
import { useTitle } from '../../app/useTitle';
import { SearchIcon } from '../../components/Icons';
import { ErrorMessage } from '../../components/LoadState';
import '../../styles/search.css';
import { indexOfResult, isTypingKey, move, resultTargets } from './keys';
import { RecentSearches } from './RecentSearches';
import { Results } from './Results';
import { useSuggestions, type SuggestState } from './useSuggestions';

const INPUT_ID = 'search-input';

function queryFromUrl(): string {
  return new URLSearchParams(location.search).get('q') ?? '';
}

/**
 * Keeps /search?q=... in step with the box by replacing the history entry (no entry per
 * keystroke), through the router when there is one so that it knows the URL too; and follows the
 * URL when it changes from outside (the Search link in the navigation goes to a bare /search).
 */
function useQueryInUrl(query: string, setQuery: (q: string) => void, urlQuery: string | undefined): void {
  // Undefined without a router (the page's tests render it alone).
  const loc = useLocation() as ReturnType<typeof useLocation> | undefined;
  const written = useRef(query);
  useEffect(() => {
    if (location.pathname !== '/search') return;
    written.current = query;
    const search = query ? `?${new URLSearchParams({ q: query })}` : '';
    if (location.search === search) return;
    if (loc?.route) loc.route(`/search${search}`, true);
    else history.replaceState(history.state, '', `/search${search}${location.hash}`);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [query]);
  useEffect(() => {
    if (urlQuery === undefined) return;
    // A router render that is only catching up with what this page wrote is not a change.
    if (urlQuery !== queryFromUrl() || urlQuery === written.current) return;
    written.current = urlQuery;
    setQuery(urlQuery);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [urlQuery]);
}

const same = (a: string, b: string) => a.trim().toLocaleLowerCase() === b.trim().toLocaleLowerCase();

function announcement(state: SuggestState): string {
  if (state.status !== 'ready') return '';
  const { data } = state;
  if (isEmpty(data)) return `No results for “${state.q.trim()}”`;
  const count = data.tracks.length + data.artists.length + data.albums.length + data.playlists.length;
  const top = data.top_result ? `Top result: ${data.top_result.item.name}. ` : '';
  return `${top}${count} ${count === 1 ? 'result' : 'results'} for “${data.corrected_query ?? state.q.trim()}”`;
}

export default function SearchPage(props: { query?: Record<string, string> }) {
  const [query, setQuery] = useState(queryFromUrl);
  const { state, retry } = useSuggestions(query);
  const input = useRef<HTMLInputElement>(null);
  const panel = useRef<HTMLDivElement>(null);
  const committed = useRef<string | null>(null);
  useTitle(query.trim() ? `Search: ${query.trim()}` : 'Search');
  useQueryInUrl(query, setQuery, props.query ? props.query.q ?? '' : undefined);

  // After the router has focused the page heading (its layout effect), the box takes focus.
  useEffect(() => {
    input.current?.focus();
  }, []);

  const focusInput = useCallback(() => {
    const el = input.current;
    if (!el) return;
    el.focus();
    const end = el.value.length;
    el.setSelectionRange?.(end, end);
  }, []);

  /** Searches `text` as if typed (the box shows it with the caret at its end once rendered). */
  const searchFor = useCallback((text: string) => {
    setQuery(text);
    input.current?.focus();
  }, []);

  const commit = (text: string) => {
    const q = text.trim();
    if (!q || committed.current === q) return;
    committed.current = q;
    recordSearch(q).catch(() => {
      committed.current = null;
    });
  };

  const onInput = (e: Event) => {
    setQuery((e.currentTarget as HTMLInputElement).value);
  };

  const onSubmit = (e: Event) => {
    e.preventDefault();
    commit(query);
  };

  const onInputKeyDown = (e: KeyboardEvent) => {
    if (e.key !== 'ArrowDown' || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    const targets = resultTargets(panel.current);
    if (targets.length === 0) return;
    e.preventDefault();
    targets[0].focus();
  };

  const onPanelKeyDown = (e: KeyboardEvent) => {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
    const targets = resultTargets(panel.current);
    const index = indexOfResult(targets, document.activeElement);
    if (index < 0) return;
    if (isTypingKey(e)) {
      // Typing while on a result goes on typing in the box.
      e.preventDefault();
      searchFor(query + e.key);
      return;
    }
    if (e.shiftKey) return; // Shift + arrows is the player's volume
    const to = move(index, targets.length, e.key);
    if (to === null) return;
    e.preventDefault();
    if (to === 'input') focusInput();
    else targets[to].focus();
  };

  // Opening or playing a result commits the search (links to pages, Play buttons, the top result).
  const onResultsClick = (e: MouseEvent) => {
    const target = e.target as Element | null;
    if (target?.closest('a[href], [data-result], .track-play')) commit(query);
  };
  const onResultsDblClick = (e: MouseEvent) => {
    if ((e.target as Element | null)?.closest('.track-row')) commit(query);
  };

  const empty = query.trim() === '';
  const corrected = state.status === 'ready' && state.data.corrected_query && !same(state.data.corrected_query, state.q)
    ? state.data.corrected_query : null;
  const stale = state.status !== 'idle' && state.q !== query;

  return (
    <div class="page search-page">
      <h1>Search</h1>
      <form role="search" class="search-form" onSubmit={onSubmit}>
        <label for={INPUT_ID} class="visually-hidden">Search songs, artists, albums and playlists</label>
        <div class="search-field">
          <SearchIcon size={22} />
          <input
            ref={input}
            id={INPUT_ID}
            class="search-input"
            type="search"
            value={query}
            placeholder="What do you want to listen to?"
            autoFocus
            autoComplete="off"
            autoCapitalize="off"
            spellcheck={false}
            enterKeyHint="search"
            maxLength={200}
            aria-describedby="search-status"
            onInput={onInput}
            onKeyDown={onInputKeyDown}
          />
        </div>
      </form>
      <p id="search-status" class="visually-hidden" role="status">{empty ? '' : announcement(state)}</p>
      <div ref={panel} class="search-panel" onKeyDown={onPanelKeyDown}>
        {empty && <RecentSearches onPick={searchFor} onEmptied={focusInput} />}
        {!empty && state.status === 'error' && <ErrorMessage error={state.error} onRetry={retry} />}
        {!empty && state.status === 'ready' && (
          <div class="search-results" aria-busy={stale ? 'true' : undefined} onClick={onResultsClick} onDblClick={onResultsDblClick}>
            {corrected && (
              <p class="search-corrected">
                Showing results for{' '}
                <button type="button" class="link-button" onClick={() => searchFor(corrected)}>{corrected}</button>
              </p>
            )}
            {isEmpty(state.data)
              ? (
                <div class="search-none">
                  <h2>No results for “{state.q.trim()}”</h2>
                  <p class="muted">Check the spelling, or try fewer or other words.</p>
                </div>
              )
              : <Results data={state.data} />}
          </div>
        )}
      </div>
    </div>
  );
}
