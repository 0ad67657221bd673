// Search: suggestions as the user types, the full Spotify-shaped search, and the user's recent
// searches. The suggest endpoint treats the last word as a prefix and tolerates typos; when it
// replaced words by close ones it says so in corrected_query ("Showing results for ...").
import { ApiError } from './errors';
import { api } from './index';
import type { SimplifiedPlaylist } from './playlists';
import type { Artist, Paging, SimplifiedAlbum, Track } from './types';

type Signal = AbortSignal | undefined;

export type SearchType = 'track' | 'album' | 'artist' | 'playlist';

export type TopResult =
  | { type: 'track'; item: Track }
  | { type: 'album'; item: SimplifiedAlbum }
  | { type: 'artist'; item: Artist }
  | { type: 'playlist'; item: SimplifiedPlaylist };

export interface Suggestions {
  q: string;
  corrected_query: string | null;
  top_result: TopResult | null;
  tracks: Track[];
  albums: SimplifiedAlbum[];
  artists: Artist[];
  playlists: SimplifiedPlaylist[];
}

export interface SearchResponse {
  tracks?: Paging<Track>;
  albums?: Paging<SimplifiedAlbum>;
  artists?: Paging<Artist>;
  playlists?: Paging<SimplifiedPlaylist>;
  corrected_query?: string | null;
}

export interface RecentSearch {
  query: string;
  searched_at: string;
}

const TYPES: readonly SearchType[] = ['track', 'album', 'artist', 'playlist'];

/** Items that are objects with an id (Spotify may send null in place of an item). */
function present<T>(items: readonly (T | null | undefined)[] | null | undefined): T[] {
  return (items ?? []).filter((item): item is T => item != null && typeof (item as { id?: unknown }).id === 'string');
}

/** A suggest response with every list present, no null items and a usable top result (or none). */
export function normalizeSuggestions(body: Partial<Suggestions> | null | undefined, q: string): Suggestions {
  const top = body?.top_result;
  const corrected = typeof body?.corrected_query === 'string' && body.corrected_query.trim() !== '' ? body.corrected_query : null;
  return {
    q: typeof body?.q === 'string' ? body.q : q,
    corrected_query: corrected,
    top_result: top && TYPES.includes(top.type) && top.item && typeof top.item.id === 'string' ? top : null,
    tracks: present(body?.tracks),
    albums: present(body?.albums),
    artists: present(body?.artists),
    playlists: present(body?.playlists),
  };
}

/**
 * While the server builds its search index (a first start, a first scan) search answers 503 with
 * Retry-After: how long to wait before asking again (1 to 30 s), or null for any other error.
 */
export function indexingRetryMs(error: unknown): number | null {
  if (!(error instanceof ApiError) || error.status !== 503 || error.retryAfterMs === null) return null;
  return Math.min(30_000, Math.max(1_000, error.retryAfterMs));
}

/** True when the suggestions hold nothing to show. */
export function isEmpty(s: Suggestions): boolean {
  return !s.top_result && s.tracks.length === 0 && s.albums.length === 0 && s.artists.length === 0 && s.playlists.length === 0;
}

/** Suggestions for what the user has typed so far (`limit` per type). */
export async function suggest(q: string, limit = 4, signal?: Signal): Promise<Suggestions> {
  const body = await api.get<Partial<Suggestions>>('/v1/search/suggest', { q, limit }, signal);
  return normalizeSuggestions(body, q);
}

/** The full search: one paging object per type asked for. */
export const search = (q: string, types: readonly SearchType[] = TYPES, limit = 20, offset = 0, signal?: Signal) =>
  api.get<SearchResponse>('/v1/search', { q, type: types, limit, offset }, signal);

/** The user's recent searches, newest first. */
export async function getRecentSearches(limit = 20, signal?: Signal): Promise<RecentSearch[]> {
  const body = await api.get<{ items?: RecentSearch[] }>('/v1/me/search/recent', { limit }, signal);
  return (body?.items ?? []).filter((item) => item && typeof item.query === 'string' && item.query !== '');
}

/** Records a committed search (Enter, or a result opened or played). */
export const recordSearch = (query: string) =>
  api.request<void>('/v1/me/search/recent', { method: 'POST', body: { query }, networkRetries: 1 });

/** Tells the event pipeline a search was committed (the seed's `search` event). */
export const sendSearchEvent = (query: string, resultCount: number) =>
  api.request<void>('/v1/me/player/events', {
    method: 'POST',
    body: [{ type: 'search', query, result_count: Math.max(0, Math.min(1_000_000, resultCount)), timestamp: Date.now() }],
    networkRetries: 1,
  });

/** A result's item URI for the event pipeline: its own `uri` when it is one, else built from type and id. */
export function resultUri(type: SearchType, item: { id: string; uri?: string }): string {
  return item.uri && /^(segue|spotify):/.test(item.uri) ? item.uri : `segue:${type}:${item.id}`;
}

/**
 * Tells the event pipeline a result of a committed search was opened or played (the seed's
 * `search_click` event). `rank` is the result's 0-based position in its own list as shown.
 */
export const sendSearchClick = (query: string, itemUri: string, rank: number) =>
  api.request<void>('/v1/me/player/events', {
    method: 'POST',
    body: [{ type: 'search_click', query, item_uri: itemUri, rank: Math.max(0, Math.min(9_999, rank)), timestamp: Date.now() }],
    networkRetries: 1,
  });

export const removeRecentSearch = (query: string) =>
  api.request<void>('/v1/me/search/recent', { method: 'DELETE', query: { query }, networkRetries: 1 });

export const clearRecentSearches = () =>
  api.request<void>('/v1/me/search/recent', { method: 'DELETE', networkRetries: 1 });
