// Search as you type: the results follow every keystroke (suggest endpoint), "Showing results for"
// when the server corrected a word, recent searches while the box is empty, the arrow keys move
// between the results, and the query lives in the URL (/search?q=...) so a reload keeps it.
// A search is recorded as recent when the user commits to it: Enter, or a result opened or played.
// Opening or playing a result also tells the event pipeline which one it was (search_click).
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { isEmpty, recordSearch, sendSearchClick, sendSearchEvent, type SearchType } from '../../api/search';
import { useTitle } from '../../app/useTitle';
import { SearchIcon } from '../../components/Icons';
import { ErrorMessage } from '../../components/LoadState';
import '../../styles/search.css';
import { indexOfResult, isTypingKey, move, resultTargets } from './keys';
import { RecentSearches } from './RecentSearches';
import { Results, TypeResults } from './Results';
import { useFullSearch, type FullState } from './useFullSearch';
import { SUGGEST_LIMIT, useSuggestions, type SuggestState } from './useSuggestions';
import { LoadMore } from '../../components/LoadMore';
import { Loading } from '../../components/LoadState';

const INPUT_ID = 'search-input';

export type Filter = 'all' | SearchType;

const FILTERS: { value: Filter; label: string }[] = [
  { value: 'all', label: 'All' },
  { value: 'track', label: 'Songs' },
  { value: 'artist', label: 'Artists' },
  { value: 'album', label: 'Albums' },
  { value: 'playlist', label: 'Playlists' },
];

const asFilter = (value: string | null | undefined): Filter =>
  FILTERS.find((f) => f.value === value)?.value ?? 'all';

/** "?q=...&type=..." for the box and the filter ("" for an empty box). */
function searchString(q: string, filter: Filter): string {
  if (!q) return '';
  const params = new URLSearchParams({ q });
  if (filter !== 'all') params.set('type', filter);
  return `?${params}`;
}

function fromUrl(search = location.search): { q: string; filter: Filter } {
  const params = new URLSearchParams(search);
  return { q: params.get('q') ?? '', filter: asFilter(params.get('type')) };
}

/**
 * Keeps /search?q=...&type=... in step with the box and the filter by replacing the history entry
 * (no entry per keystroke), through the router when there is one so that it knows the URL too;
 * and follows the URL when it changes from outside (the Search link goes to a bare /search).
 */
function useUrlState(q: string, filter: Filter, apply: (q: string, filter: Filter) => void, routerQuery: Record<string, string> | undefined): void {
  // Undefined without a router (the page's tests render it alone).
  const loc = useLocation() as ReturnType<typeof useLocation> | undefined;
  const written = useRef(searchString(q, filter));
  useEffect(() => {
    if (location.pathname !== '/search') return;
    const search = searchString(q, filter);
    written.current = search;
    if (location.search === search) return;
    if (loc?.route) loc.route(`/search${search}`, true);
    else history.replaceState(history.state, '', `/search${search}${location.hash}`);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [q, filter]);
  const routed = routerQuery ? searchString(routerQuery.q ?? '', asFilter(routerQuery.type)) : undefined;
  useEffect(() => {
    if (routed === undefined) return;
    // A router render that is only catching up with what this page wrote is not a change.
    const now = fromUrl();
    if (routed !== searchString(now.q, now.filter) || routed === written.current) return;
    written.current = routed;
    apply(now.q, now.filter);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [routed]);
}

const same = (a: string, b: string) => a.trim().toLocaleLowerCase() === b.trim().toLocaleLowerCase();

const KIND_NAMES: Record<SearchType, [string, string]> = {
  track: ['song', 'songs'], artist: ['artist', 'artists'], album: ['album', 'albums'], playlist: ['playlist', 'playlists'],
};

/** How many results the committed search showed (a page of one type, or the suggestions). */
function resultCount(state: SuggestState, full: FullState): number {
  if (full.status === 'ready') return full.data.total;
  if (state.status !== 'ready') return 0;
  const { data } = state;
  return data.tracks.length + data.artists.length + data.albums.length + data.playlists.length;
}

/** What the page says while the server builds its search index (search answers 503 meanwhile). */
export const INDEXING_MESSAGE = 'Indexing your library…';

function announcement(state: SuggestState, full: FullState): string {
  if (full.status === 'indexing' || state.status === 'indexing') return INDEXING_MESSAGE;
  if (full.status === 'ready') {
    const { total, q, corrected } = full.data;
    if (total === 0) return `No results for “${q.trim()}”`;
    const [one, many] = KIND_NAMES[full.data.type];
    return `${total} ${total === 1 ? one : many} for “${corrected ?? q.trim()}”`;
  }
  if (state.status !== 'ready') return '';
  const { data } = state;
  if (isEmpty(data)) return `No results for “${state.q.trim()}”`;
  const count = data.tracks.length + data.artists.length + data.albums.length + data.playlists.length;
  const top = data.top_result ? `Top result: ${data.top_result.item.name}. ` : '';
  return `${top}${count} ${count === 1 ? 'result' : 'results'} for “${data.corrected_query ?? state.q.trim()}”`;
}

export default function SearchPage(props: { query?: Record<string, string> }) {
  const [query, setQuery] = useState(() => fromUrl().q);
  const [filter, setFilter] = useState(() => fromUrl().filter);
  const type = filter === 'all' ? null : filter;
  const { state, retry } = useSuggestions(type ? '' : query);
  const full = useFullSearch(type ? query : '', type);
  const input = useRef<HTMLInputElement>(null);
  const panel = useRef<HTMLDivElement>(null);
  const committed = useRef<string | null>(null);
  // "query\nitem URI" of the results reported since the last commit: one search_click each.
  const clicked = useRef(new Set<string>());
  useTitle(query.trim() ? `Search: ${query.trim()}` : 'Search');
  useUrlState(query, filter, (q, f) => {
    setQuery(q);
    setFilter(f);
  }, props.query);

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
    clicked.current.clear();
    recordSearch(q).catch(() => {
      committed.current = null;
    });
    // The event pipeline records it too (the server drops it from history in a private session).
    sendSearchEvent(q, resultCount(state, full.state)).catch(() => {});
  };

  const onInput = (e: Event) => {
    const value = (e.currentTarget as HTMLInputElement).value;
    setQuery(value);
    // A new search starts from the overview.
    if (value.trim() === '') setFilter('all');
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

  /** Sends search_click for the result marked on `el` or around it (Results.tsx: data-uri, data-rank). */
  const reportResult = (el: Element) => {
    const marked = el.closest<HTMLElement>('[data-uri]');
    const q = query.trim();
    const uri = marked?.dataset.uri;
    const rank = Number(marked?.dataset.rank);
    if (!q || !uri || !Number.isInteger(rank)) return;
    const key = `${q}\n${uri}`;
    if (clicked.current.has(key)) return;
    clicked.current.add(key);
    sendSearchClick(q, uri, rank).catch(() => {});
  };

  // Opening or playing a result commits the search (links to pages, Play buttons, the top result).
  const onResultsClick = (e: MouseEvent) => {
    const target = e.target as Element | null;
    if (!target?.closest('a[href], [data-result], .track-play')) return;
    commit(query);
    // Only the result itself is a click on it: an artist or album link inside a song row opens
    // another item, which is not a result that was shown.
    const result = target.closest('[data-result], .track-play');
    if (result) reportResult(result);
  };
  const onResultsDblClick = (e: MouseEvent) => {
    const row = (e.target as Element | null)?.closest('.track-row');
    if (!row) return;
    commit(query);
    reportResult(row);
  };

  const empty = query.trim() === '';
  const shown = type ? (full.state.status === 'ready' && full.state.data.type === type ? full.state.data : null) : null;
  const suggestions = !type && state.status === 'ready' ? state : null;
  const error = type ? (full.state.status === 'error' ? full.state : null) : (state.status === 'error' ? state : null);
  const indexing = type ? full.state.status === 'indexing' : state.status === 'indexing';
  const correctedText = shown ? shown.corrected : suggestions?.data.corrected_query ?? null;
  const shownQ = shown?.q ?? suggestions?.q ?? '';
  const corrected = correctedText && !same(correctedText, shownQ) ? correctedText : null;
  const stale = (shown !== null || suggestions !== null) && shownQ !== query;
  const nothing = shown ? shown.items.length === 0 : suggestions ? isEmpty(suggestions.data) : false;

  const choose = (f: Filter) => {
    setFilter(f);
    if (window.scrollY > 0) window.scrollTo(0, 0);
  };

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
      <p id="search-status" class="visually-hidden" role="status">{empty ? '' : announcement(type ? { status: 'idle' } : state, type ? full.state : { status: 'idle' })}</p>
      <div ref={panel} class="search-panel" onKeyDown={onPanelKeyDown}>
        {empty && <RecentSearches onPick={searchFor} onEmptied={focusInput} />}
        {!empty && (
          <div class="search-filters" role="group" aria-label="Show">
            {FILTERS.map((f) => (
              <button key={f.value} type="button" class="search-chip" aria-pressed={filter === f.value} onClick={() => choose(f.value)}>
                {f.label}
              </button>
            ))}
          </div>
        )}
        {!empty && error && <ErrorMessage error={error.error} onRetry={type ? full.retry : retry} />}
        {!empty && indexing && (
          <div class="search-none search-indexing">
            <h2>{INDEXING_MESSAGE}</h2>
            <p class="muted">Search will answer as soon as it is done; this page tries again by itself.</p>
          </div>
        )}
        {!empty && !error && !indexing && !shown && !suggestions && type && <Loading label="Searching…" />}
        {!empty && (shown || suggestions) && (
          <div class="search-results" aria-busy={stale ? 'true' : undefined} onClick={onResultsClick} onDblClick={onResultsDblClick}>
            {corrected && (
              <p class="search-corrected">
                Showing results for{' '}
                <button type="button" class="link-button" onClick={() => searchFor(corrected)}>{corrected}</button>
              </p>
            )}
            {nothing && (
              <div class="search-none">
                <h2>No results for “{shownQ.trim()}”</h2>
                <p class="muted">Check the spelling, or try fewer or other words.</p>
              </div>
            )}
            {!nothing && suggestions && <Results data={suggestions.data} limit={SUGGEST_LIMIT} onShowAll={choose} />}
            {!nothing && shown && (
              <>
                <h2 class="visually-hidden">{FILTERS.find((f) => f.value === shown.type)?.label}</h2>
                <TypeResults type={shown.type} items={shown.items} />
                {full.hasMore && <LoadMore onLoad={full.loadMore} busy={full.loadingMore} />}
              </>
            )}
          </div>
        )}
      </div>
    </div>
  );
}
