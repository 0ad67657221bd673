// Smart playlists (docs/formats/smart-playlists.md): playlists whose items the server keeps equal
// to what their rules select. Listing, creating, importing a Navidrome .nsp file, and reading,
// changing and deleting a playlist's rules; the playlist itself is read and played through
// playlists.ts like any other.
import { api } from './index';
import type { SimplifiedPlaylist } from './playlists';
import type { Paging } from './types';

type Signal = AbortSignal | undefined;
const id = encodeURIComponent;

/** The rules document: {"all"|"any": [conditions or groups], "sort"?, "limit"?, "seed"?}. */
export type RulesDocument = Record<string, unknown>;

export interface SmartPlaylist extends SimplifiedPlaylist {
  rules: RulesDocument | null;
  refreshed_at: string | null;
}

export interface PlaylistRules {
  playlist_id: string;
  smart: boolean;
  rules: RulesDocument | null;
  refreshed_at: string | null;
}

export const getSmartPlaylists = (offset: number, limit = 50, signal?: Signal) =>
  api.get<Paging<SmartPlaylist>>('/v1/me/smart-playlists', { offset, limit }, signal);

export const createSmartPlaylist = (name: string, description: string, rules: RulesDocument, isPublic = false) =>
  api.request<SmartPlaylist>('/v1/me/smart-playlists', { method: 'POST', body: { name, description, public: isPublic, rules } });

/**
 * Imports a .nsp file's text (JSON: Navidrome's rules plus its name and comment). Text that is
 * not JSON is refused here, as the server would refuse it.
 */
export function importNsp(text: string, name?: string) {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    return Promise.reject(new Error(`The file is not a .nsp file (not valid JSON: ${(cause as Error).message}).`));
  }
  return api.request<SmartPlaylist>('/v1/me/smart-playlists/import', { method: 'POST', query: { name }, body: doc });
}

export const getRules = (playlistId: string, signal?: Signal) =>
  api.get<PlaylistRules>(`/v1/playlists/${id(playlistId)}/rules`, undefined, signal);

export const putRules = (playlistId: string, rules: RulesDocument) =>
  api.request<PlaylistRules>(`/v1/playlists/${id(playlistId)}/rules`, { method: 'PUT', body: rules });

/** The rules go; the playlist stays, an ordinary one with the tracks it holds. */
export const deleteRules = (playlistId: string) =>
  api.request<void>(`/v1/playlists/${id(playlistId)}/rules`, { method: 'DELETE' });
