import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  clearRecentSearches, getRecentSearches, isEmpty, normalizeSuggestions, recordSearch, removeRecentSearch, search, suggest,
} from './search';

function json(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

describe('search API', () => {
  let fetchMock: ReturnType<typeof vi.fn>;
  beforeEach(() => {
    localStorage.setItem('segue.tokens', JSON.stringify({
      accessToken: 'a', refreshToken: 'r', expiresAt: Date.now() + 3_600_000, lifetimeMs: 3_600_000, scope: '', clientId: 'c',
    }));
    fetchMock = vi.fn(async () => new Response(null, { status: 204 }));
    vi.stubGlobal('fetch', fetchMock);
  });
  afterEach(() => {
    localStorage.clear();
    vi.unstubAllGlobals();
  });

  const call = (i = 0) => ({ url: fetchMock.mock.calls[i][0] as string, init: fetchMock.mock.calls[i][1] as RequestInit });

  it('asks for suggestions with the text and the limit, and fills in missing lists', async () => {
    fetchMock.mockResolvedValueOnce(json({ q: 'nad', corrected_query: null, top_result: null, tracks: [null, { id: 't' }] }));
    const s = await suggest('nad ore', 5);
    expect(call().url).toBe('/v1/search/suggest?q=nad+ore&limit=5');
    expect(s.tracks).toEqual([{ id: 't' }]);
    expect(s.albums).toEqual([]);
    expect(s.artists).toEqual([]);
    expect(s.playlists).toEqual([]);
    expect(isEmpty(s)).toBe(false);
  });

  it('keeps a usable top result and a non-empty correction only', () => {
    const s = normalizeSuggestions({ corrected_query: '', top_result: { type: 'artist', item: null as never } }, 'x');
    expect(s.q).toBe('x');
    expect(s.corrected_query).toBeNull();
    expect(s.top_result).toBeNull();
    expect(isEmpty(s)).toBe(true);
    const t = normalizeSuggestions({ corrected_query: 'copper lanterns', top_result: { type: 'artist', item: { id: 'a', name: 'A', uri: 'u' } } }, 'coper lant');
    expect(t.corrected_query).toBe('copper lanterns');
    expect(t.top_result?.type).toBe('artist');
  });

  it('runs the full search with the types joined', async () => {
    fetchMock.mockResolvedValueOnce(json({ tracks: { items: [], total: 0, limit: 20, offset: 0, next: null }, corrected_query: null }));
    await search('harbor', ['track', 'album'], 20, 40);
    expect(call().url).toBe('/v1/search?q=harbor&type=track%2Calbum&limit=20&offset=40');
  });

  it('reads, records, removes and clears recent searches', async () => {
    fetchMock.mockResolvedValueOnce(json({ items: [{ query: 'nadia', searched_at: '2025-01-01T00:00:00Z' }, { query: '' }] }));
    expect(await getRecentSearches(10)).toEqual([{ query: 'nadia', searched_at: '2025-01-01T00:00:00Z' }]);
    expect(call(0).url).toBe('/v1/me/search/recent?limit=10');

    await recordSearch('nadia ore');
    expect(call(1).url).toBe('/v1/me/search/recent');
    expect(call(1).init.method).toBe('POST');
    expect(JSON.parse(call(1).init.body as string)).toEqual({ query: 'nadia ore' });

    await removeRecentSearch('a&b c');
    expect(call(2).url).toBe('/v1/me/search/recent?query=a%26b+c');
    expect(call(2).init.method).toBe('DELETE');

    await clearRecentSearches();
    expect(call(3).url).toBe('/v1/me/search/recent');
    expect(call(3).init.method).toBe('DELETE');
  });
});
