// The search page against a fake server: results follow the typing and never go backwards,
// the arrow keys move among the results, recent searches while the box is empty, "Showing results
// for" when the server corrected the query, the query kept in the URL.
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PlayerContext } from '../../player';
import type { Player, PlayerState } from '../../player/types';
import type { Suggestions } from '../../api/search';

import { LocationProvider, Route, Router } from 'preact-iso';

const { default: SearchPage } = await import('./index');

const idle: PlayerState = {
  status: 'idle', track: null, positionMs: 0, durationMs: 0, volume: 1, shuffle: false, repeat: 'off',
  queue: { current: null, upNext: [], queued: 0, keys: [], contextUri: null, contextName: null }, error: null,
};
const player = {
  playTracks: vi.fn(), addToQueue: vi.fn(), subscribe: () => () => undefined, getState: () => idle,
} as unknown as Player;

const artist = { id: 'ar1', name: 'Nadia Oré', uri: 'segue:artist:ar1', images: [] };
const album = { id: 'al1', name: 'Glass Orchard', uri: 'segue:album:al1', album_type: 'album', images: [], artists: [artist] };
const track = (n: number, name: string) => ({
  id: `t${n}`, uri: `segue:track:t${n}`, name, duration_ms: 180_000, track_number: n, disc_number: 1, artists: [artist], album,
});

function result(q: string, extra: Partial<Suggestions> = {}): Suggestions {
  return {
    q, corrected_query: null, top_result: { type: 'artist', item: { ...artist, name: `Artist for ${q}` } },
    tracks: [track(1, `Song for ${q}`), track(2, 'Quiet Voltage')], albums: [album], artists: [artist], playlists: [], ...extra,
  };
}

function json(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

interface Deferred { q: string; resolve(body: unknown): void }
let suggestCalls: Deferred[];
let autoAnswer: ((q: string) => unknown) | null;
let calls: { method: string; url: string; body: unknown }[];
let recent: { query: string; searched_at: string }[];
let fullIndexing: number; // answers of /v1/search that are "the index is being built" (503)

/** What the server answers while it builds its search index. */
function indexing() {
  return new Response(JSON.stringify({ error: { status: 503, message: 'The search index is being built' } }), {
    status: 503, headers: { 'Content-Type': 'application/json', 'Retry-After': '1' },
  });
}

const settle = () => act(async () => { for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 0)); });

describe('search page', () => {
  let root: HTMLElement;

  beforeEach(() => {
    history.replaceState(null, '', '/search');
    root = document.createElement('div');
    document.body.append(root);
    suggestCalls = [];
    autoAnswer = (q) => result(q);
    fullIndexing = 0;
    calls = [];
    recent = [
      { query: 'copper', searched_at: '2025-01-02T00:00:00Z' },
      { query: 'harbor lights', searched_at: '2025-01-01T00:00:00Z' },
    ];
    vi.mocked(player.playTracks).mockClear();
    localStorage.setItem('segue.tokens', JSON.stringify({
      accessToken: 'a', refreshToken: 'r', expiresAt: Date.now() + 3_600_000, lifetimeMs: 3_600_000, scope: '', clientId: 'c',
    }));
    vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit) => {
      const method = init.method ?? 'GET';
      const body = init.body ? JSON.parse(init.body as string) : undefined;
      calls.push({ method, url, body });
      const parsed = new URL(url, 'http://x');
      if (parsed.pathname === '/v1/search/suggest') {
        const q = parsed.searchParams.get('q')!;
        if (autoAnswer) {
          const answer = autoAnswer(q);
          return answer instanceof Response ? answer : json(answer);
        }
        return new Promise<Response>((resolve, reject) => {
          suggestCalls.push({ q, resolve: (b) => resolve(json(b)) });
          init.signal?.addEventListener('abort', () => reject(new DOMException('Aborted', 'AbortError')));
        });
      }
      if (parsed.pathname === '/v1/me/search/recent') {
        if (method === 'GET') return json({ items: recent });
        if (method === 'DELETE') {
          const q = parsed.searchParams.get('query');
          recent = q === null ? [] : recent.filter((r) => r.query !== q);
        }
        return new Response(null, { status: 204 });
      }
      if (parsed.pathname === '/v1/me/player/events') return json({ accepted: 1, first_offset: 1, last_offset: 1 });
      if (parsed.pathname === '/v1/search') {
        const q = parsed.searchParams.get('q')!;
        if (fullIndexing > 0) {
          fullIndexing--;
          return indexing();
        }
        const offset = Number(parsed.searchParams.get('offset'));
        const limit = Number(parsed.searchParams.get('limit'));
        const all = Array.from({ length: 45 }, (_, i) => track(i + 1, `${q} song ${i + 1}`));
        const items = all.slice(offset, offset + limit);
        return json({ tracks: { items, total: all.length, limit, offset, next: null }, corrected_query: null });
      }
      if (parsed.pathname.startsWith('/v1/me/tracks/contains')) return json((parsed.searchParams.get('ids') ?? '').split(',').map(() => false));
      return json({ error: { status: 404, message: 'Not found' } }, 404);
    }));
  });

  afterEach(() => {
    render(null, root);
    root.remove();
    localStorage.clear();
    vi.unstubAllGlobals();
  });

  async function show() {
    act(() => {
      render(<PlayerContext.Provider value={player}><SearchPage /></PlayerContext.Provider>, root);
    });
    await settle();
  }

  const input = () => root.querySelector<HTMLInputElement>('input[type="search"]')!;
  const topName = () => root.querySelector('.search-top-name')?.textContent;
  const active = () => document.activeElement as HTMLElement;
  const searchClicks = () => calls
    .filter((c) => c.method === 'POST' && c.url === '/v1/me/player/events')
    .flatMap((c) => c.body as { type: string }[])
    .filter((event) => event.type === 'search_click');
  const click = (query: string, itemUri: string, rank: number) =>
    ({ type: 'search_click', query, item_uri: itemUri, rank, timestamp: expect.any(Number) });

  async function type(value: string) {
    act(() => {
      input().value = value;
      input().dispatchEvent(new Event('input', { bubbles: true }));
    });
    await settle();
  }

  function key(target: Element, k: string, init: KeyboardEventInit = {}) {
    act(() => {
      target.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true, ...init }));
    });
  }

  it('has a labelled search box with focus', async () => {
    await show();
    expect(input().labels?.[0]?.textContent).toMatch(/Search/);
    expect(active()).toBe(input());
    expect(root.querySelector('form[role="search"]')).not.toBeNull();
  });

  it('asks on every keystroke and never shows an older answer after a newer one', async () => {
    autoAnswer = null;
    await show();
    await type('n');
    await type('na');
    await type('nad');
    expect(suggestCalls.map((c) => c.q)).toEqual(['n', 'na', 'nad']);

    // "na" answers first: shown, and the request for "n" (older) is aborted.
    await act(async () => suggestCalls[1].resolve(result('na')));
    await settle();
    expect(topName()).toBe('Artist for na');
    expect(root.querySelector('.search-results')?.getAttribute('aria-busy')).toBe('true');

    // "n" answering late changes nothing.
    await act(async () => suggestCalls[0].resolve(result('n')));
    await settle();
    expect(topName()).toBe('Artist for na');

    await act(async () => suggestCalls[2].resolve(result('nad')));
    await settle();
    expect(topName()).toBe('Artist for nad');
    expect(root.querySelector('.search-results')?.hasAttribute('aria-busy')).toBe(false);
    expect(root.querySelector('[role="status"]')?.textContent).toContain('for “nad”');
  });

  it('drops answers still to come once the box is cleared', async () => {
    autoAnswer = null;
    await show();
    await type('nadia');
    await type('');
    await act(async () => suggestCalls[0].resolve(result('nadia')));
    await settle();
    expect(root.querySelector('.search-results')).toBeNull();
    expect(root.textContent).toContain('Recent searches');
  });

  it('shows the top result, songs, artists and albums, and keeps the query in the URL', async () => {
    await show();
    await type('nadia ore');
    expect(topName()).toBe('Artist for nadia ore');
    const headings = [...root.querySelectorAll('h2')].map((h) => h.textContent);
    expect(headings).toEqual(['Top result', 'Songs', 'Artists', 'Albums']);
    expect(root.querySelector('a.search-top-card')?.getAttribute('href')).toBe('/artist/ar1');
    expect(root.querySelector('.search-grid a[href="/album/al1"]')).not.toBeNull();
    expect(location.pathname + location.search).toBe('/search?q=nadia+ore');
    await type('');
    expect(location.pathname + location.search).toBe('/search');
  });

  it('starts from the query in the URL', async () => {
    history.replaceState(null, '', '/search?q=copper');
    await show();
    expect(input().value).toBe('copper');
    expect(topName()).toBe('Artist for copper');
  });

  it('says so when nothing is found', async () => {
    autoAnswer = (q) => ({ q, corrected_query: null, top_result: null, tracks: [], albums: [], artists: [], playlists: [] });
    await show();
    await type('zzzz');
    expect(root.querySelector('.search-none h2')?.textContent).toBe('No results for “zzzz”');
    expect(root.querySelector('[role="status"]')?.textContent).toBe('No results for “zzzz”');
  });

  it('says "Indexing your library…" rather than "No results" while the index is built, and asks again after Retry-After', async () => {
    let refusals = 2;
    autoAnswer = (q) => (refusals-- > 0 ? indexing() : result(q));
    await show();
    await type('nadia');
    expect(root.querySelector('.search-indexing h2')?.textContent).toBe('Indexing your library…');
    expect(root.querySelector('[role="status"]')?.textContent).toBe('Indexing your library…');
    expect(root.querySelector('.search-none h2')?.textContent).not.toMatch(/No results/);
    expect(root.querySelector('[role="alert"]')).toBeNull();
    const asked = () => calls.filter((c) => c.url.startsWith('/v1/search/suggest')).length;
    expect(asked()).toBe(1);
    // Retry-After: 1 -> asked again a second later (still indexing), then again (answered).
    await act(async () => { await new Promise((r) => setTimeout(r, 1100)); });
    await settle();
    expect(asked()).toBe(2);
    expect(root.querySelector('.search-indexing')).not.toBeNull();
    await act(async () => { await new Promise((r) => setTimeout(r, 1100)); });
    await settle();
    expect(asked()).toBe(3);
    expect(root.querySelector('.search-indexing')).toBeNull();
    expect(topName()).toBe('Artist for nadia');
  });

  it('the Songs filter also says "Indexing your library…" and asks again', async () => {
    fullIndexing = 1;
    await show();
    await type('nadia');
    act(() => {
      [...root.querySelectorAll<HTMLButtonElement>('.search-chip')].find((b) => b.textContent === 'Songs')!.click();
    });
    await settle();
    expect(root.querySelector('.search-indexing h2')?.textContent).toBe('Indexing your library…');
    await act(async () => { await new Promise((r) => setTimeout(r, 1100)); });
    await settle();
    expect(root.querySelector('.search-indexing')).toBeNull();
    expect(root.querySelectorAll('.track-row').length).toBeGreaterThan(0);
  });

  it('moves among the results with the arrow keys, Escape returns to the box, Enter plays and records', async () => {
    await show();
    await type('nadia');
    key(input(), 'ArrowDown');
    expect(active().classList.contains('search-top-card')).toBe(true);
    key(active(), 'ArrowDown');
    expect(active().getAttribute('aria-label')).toBe('Play Song for nadia');
    key(active(), 'ArrowDown');
    expect(active().getAttribute('aria-label')).toBe('Play Quiet Voltage');
    key(active(), 'ArrowDown');
    expect(active().getAttribute('href')).toBe('/artist/ar1');
    key(active(), 'ArrowUp');
    expect(active().getAttribute('aria-label')).toBe('Play Quiet Voltage');
    key(active(), 'End');
    expect(active().getAttribute('href')).toBe('/album/al1');
    key(active(), 'ArrowDown');
    expect(active().getAttribute('href')).toBe('/album/al1');
    key(active(), 'Escape');
    expect(active()).toBe(input());

    key(input(), 'ArrowDown');
    key(active(), 'ArrowUp');
    expect(active()).toBe(input());

    // Enter on a Play button clicks it: the song plays and the search is recorded.
    key(input(), 'ArrowDown');
    key(active(), 'ArrowDown');
    key(active(), 'ArrowDown');
    act(() => active().click());
    await settle();
    expect(player.playTracks).toHaveBeenCalledWith(expect.any(Array), 1, undefined, 'Search');
    const posts = calls.filter((c) => c.method === 'POST' && c.url === '/v1/me/search/recent');
    expect(posts.map((p) => p.body)).toEqual([{ query: 'nadia' }]);
  });

  it('typing on a result goes on typing in the box', async () => {
    await show();
    await type('nadi');
    key(input(), 'ArrowDown');
    key(active(), 'a');
    await settle();
    expect(input().value).toBe('nadia');
    expect(active()).toBe(input());
  });

  it('plays a top-result song with the other songs after it', async () => {
    autoAnswer = (q) => result(q, { top_result: { type: 'track', item: track(2, 'Quiet Voltage') } });
    await show();
    await type('quiet');
    act(() => root.querySelector<HTMLButtonElement>('button.search-top-card')!.click());
    const [tracks, index] = vi.mocked(player.playTracks).mock.calls[0];
    expect(index).toBe(0);
    expect(tracks.map((t) => t.name)).toEqual(['Quiet Voltage', 'Song for quiet']);
  });

  it('sends search_click for an opened card: the typed query, the item URI and its rank in its list, once', async () => {
    // The second album has no uri: the page builds it from its type and id.
    const second = { id: '4aawyAB9vmqN3uQ7FjRGTy', name: 'Salt Choir', album_type: 'album', images: [], artists: [artist] };
    autoAnswer = (q) => result(q, { albums: [album, second as typeof album] });
    await show();
    // jsdom cannot follow the card links; the page's handler still sees the clicks.
    root.addEventListener('click', (e) => e.preventDefault());
    await type('  salt choir ');
    const albumCards = () => [...root.querySelectorAll<HTMLAnchorElement>('.search-grid a[href^="/album/"]')];
    expect(albumCards().map((a) => a.getAttribute('href'))).toEqual(['/album/al1', '/album/4aawyAB9vmqN3uQ7FjRGTy']);

    act(() => albumCards()[1].click());
    await settle();
    expect(searchClicks()).toEqual([click('salt choir', 'segue:album:4aawyAB9vmqN3uQ7FjRGTy', 1)]);

    // The same card again sends nothing more; the first card is a result of its own.
    act(() => albumCards()[1].click());
    act(() => albumCards()[0].click());
    await settle();
    expect(searchClicks()).toEqual([
      click('salt choir', 'segue:album:4aawyAB9vmqN3uQ7FjRGTy', 1),
      click('salt choir', 'segue:album:al1', 0),
    ]);
  });

  it('sends search_click with rank 0 and the track URI when the top result is played', async () => {
    autoAnswer = (q) => result(q, { top_result: { type: 'track', item: track(2, 'Quiet Voltage') } });
    await show();
    await type('quiet');
    act(() => root.querySelector<HTMLButtonElement>('button.search-top-card')!.click());
    await settle();
    expect(player.playTracks).toHaveBeenCalled();
    expect(searchClicks()).toEqual([click('quiet', 'segue:track:t2', 0)]);
  });

  it('sends search_click for a song row played by its button or a double-click, not for a link in it', async () => {
    await show();
    root.addEventListener('click', (e) => e.preventDefault());
    await type('nadia');
    const rows = () => [...root.querySelectorAll<HTMLElement>('.search-songs .track-row')];

    // The artist link in a row opens the artist, not the song: the search commits, no click.
    act(() => rows()[0].querySelector<HTMLAnchorElement>('.track-artists a')!.click());
    await settle();
    expect(calls.some((c) => c.method === 'POST' && c.url === '/v1/me/search/recent')).toBe(true);
    expect(searchClicks()).toEqual([]);

    act(() => {
      rows()[1].querySelector('.track-name')!.dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));
    });
    await settle();
    expect(searchClicks()).toEqual([click('nadia', 'segue:track:t2', 1)]);

    act(() => root.querySelector<HTMLButtonElement>('[aria-label="Play Song for nadia"]')!.click());
    await settle();
    expect(searchClicks()).toEqual([click('nadia', 'segue:track:t2', 1), click('nadia', 'segue:track:t1', 0)]);
  });

  it('sends no search_click when a recent search is chosen', async () => {
    await show();
    act(() => root.querySelector<HTMLButtonElement>('.recent-query')!.click());
    await settle();
    expect(input().value).toBe('copper');
    expect(topName()).toBe('Artist for copper');
    expect(searchClicks()).toEqual([]);
    expect(calls.some((c) => c.method === 'POST')).toBe(false);
  });

  it('records the query when Enter is pressed in the box', async () => {
    await show();
    await type('  copper lanterns ');
    act(() => {
      root.querySelector('form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    });
    await settle();
    const posts = calls.filter((c) => c.method === 'POST');
    expect(posts).toEqual([
      { method: 'POST', url: '/v1/me/search/recent', body: { query: 'copper lanterns' } },
      { method: 'POST', url: '/v1/me/player/events',
        body: [{ type: 'search', query: 'copper lanterns', result_count: expect.any(Number), timestamp: expect.any(Number) }] },
    ]);
  });

  it('shows recent searches while the box is empty; one fills the box; remove and clear', async () => {
    await show();
    const texts = () => [...root.querySelectorAll('.recent-text')].map((e) => e.textContent);
    expect(root.querySelector('h2')?.textContent).toBe('Recent searches');
    expect(texts()).toEqual(['copper', 'harbor lights']);

    // The arrows reach them too.
    key(input(), 'ArrowDown');
    expect(active().textContent).toBe('copper');

    act(() => root.querySelector<HTMLButtonElement>('[aria-label="Remove “copper” from recent searches"]')!.click());
    await settle();
    expect(texts()).toEqual(['harbor lights']);
    expect(calls.some((c) => c.method === 'DELETE' && c.url === '/v1/me/search/recent?query=copper')).toBe(true);

    act(() => root.querySelector<HTMLButtonElement>('.recent-query')!.click());
    await settle();
    expect(input().value).toBe('harbor lights');
    expect(topName()).toBe('Artist for harbor lights');

    await type('');
    expect(texts()).toEqual(['harbor lights']);
    const clear = [...root.querySelectorAll('button')].find((b) => b.textContent === 'Clear recent searches')!;
    act(() => clear.click());
    await settle();
    expect(texts()).toEqual([]);
    expect(calls.some((c) => c.method === 'DELETE' && c.url === '/v1/me/search/recent')).toBe(true);
    expect(root.querySelector('.recent-searches')).toBeNull();
  });

  it('shows "Showing results for" a corrected query, which searches it when chosen', async () => {
    autoAnswer = (q) => result(q, { corrected_query: q === 'coper lant' ? 'copper lanterns' : null });
    await show();
    await type('coper lant');
    const line = root.querySelector('.search-corrected');
    expect(line?.textContent).toBe('Showing results for copper lanterns');
    act(() => line!.querySelector('button')!.click());
    await settle();
    expect(input().value).toBe('copper lanterns');
    expect(calls.filter((c) => c.url.startsWith('/v1/search/suggest')).map((c) => new URL(c.url, 'http://x').searchParams.get('q')))
      .toEqual(['coper lant', 'copper lanterns']);
    expect(root.querySelector('.search-corrected')).toBeNull();
    // Choosing the correction is not a committed search.
    expect(calls.some((c) => c.method === 'POST')).toBe(false);
  });

  it('under the router: the URL follows the box, and the Search link to a bare /search empties it', async () => {
    act(() => {
      render(
        <PlayerContext.Provider value={player}>
          <LocationProvider>
            <a href="/search" id="nav-search">Search</a>
            <Router>
              <Route path="/search" component={SearchPage} />
              <Route default component={() => <p>Elsewhere</p>} />
            </Router>
          </LocationProvider>
        </PlayerContext.Provider>,
        root,
      );
    });
    await settle();
    await type('n');
    await type('na');
    await type('nad');
    expect(location.search).toBe('?q=nad');
    expect(input().value).toBe('nad');
    expect(topName()).toBe('Artist for nad');
    act(() => root.querySelector<HTMLAnchorElement>('#nav-search')!.click());
    await settle();
    expect(location.pathname + location.search).toBe('/search');
    expect(input().value).toBe('');
    expect(root.textContent).toContain('Recent searches');
  });

  it('shows every song with the Songs filter, a page at a time, and keeps the filter in the URL', async () => {
    autoAnswer = (q) => result(q, { tracks: [1, 2, 3, 4, 5].map((n) => track(n, `Song ${n}`)) });
    await show();
    await type('lan');
    const showAll = [...root.querySelectorAll('button')].find((b) => b.textContent === 'Show all songs')!;
    act(() => showAll.click());
    await settle();
    expect(root.querySelector('[aria-pressed="true"]')?.textContent).toBe('Songs');
    expect(location.search).toBe('?q=lan&type=track');
    const searches = () => calls.filter((c) => c.url.startsWith('/v1/search?')).map((c) => c.url);
    expect(searches()).toEqual(['/v1/search?q=lan&type=track&limit=30&offset=0']);
    const names = () => [...root.querySelectorAll('.track-name')].map((e) => e.textContent);
    expect(names()).toHaveLength(30);
    expect(root.querySelector('.search-top-card')).toBeNull();

    act(() => [...root.querySelectorAll('button')].find((b) => b.textContent === 'Load more')!.click());
    await settle();
    expect(searches()[1]).toBe('/v1/search?q=lan&type=track&limit=30&offset=30');
    expect(names()).toHaveLength(45);
    expect(names()[44]).toBe('lan song 45');
    expect([...root.querySelectorAll('button')].some((b) => b.textContent === 'Load more')).toBe(false);

    // Typing goes on in the filter; All brings the overview back.
    await type('lant');
    expect(names()[0]).toBe('lant song 1');
    act(() => [...root.querySelectorAll<HTMLButtonElement>('.search-chip')].find((b) => b.textContent === 'All')!.click());
    await settle();
    expect(location.search).toBe('?q=lant');
    expect(topName()).toBe('Artist for lant');
  });
});
