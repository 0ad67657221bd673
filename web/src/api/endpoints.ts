// One typed function per Segue endpoint the pages use.
import { api } from './index';
import type {
  Album, Artist, CursorPaging, Paging, PlayHistory, SavedAlbum, SavedTrack, SimplifiedAlbum,
  SimplifiedTrack, Track, User,
} from './types';

type Signal = AbortSignal | undefined;
const id = encodeURIComponent;

export const getMe = (signal?: Signal) => api.get<User>('/v1/me', undefined, signal);

/** Segue's per-user settings: in a private session nothing enters history, counts or recent searches. */
export interface Preferences { private_session: boolean }
export const getPreferences = (signal?: Signal) => api.get<Preferences>('/v1/me/preferences', undefined, signal);
export const setPreferences = (prefs: Preferences) =>
  api.request<Preferences>('/v1/me/preferences', { method: 'PUT', body: prefs, networkRetries: 1 });

export const getAlbum = (albumId: string, signal?: Signal) =>
  api.get<Album>(`/v1/albums/${id(albumId)}`, undefined, signal);

export const getAlbumTracks = (albumId: string, offset: number, limit = 50, signal?: Signal) =>
  api.get<Paging<SimplifiedTrack>>(`/v1/albums/${id(albumId)}/tracks`, { offset, limit }, signal);

export const getArtist = (artistId: string, signal?: Signal) =>
  api.get<Artist>(`/v1/artists/${id(artistId)}`, undefined, signal);

export const getArtistAlbums = (artistId: string, offset: number, limit = 50, signal?: Signal) =>
  api.get<Paging<SimplifiedAlbum>>(`/v1/artists/${id(artistId)}/albums`, { offset, limit }, signal);

export const getArtistTopTracks = (artistId: string, signal?: Signal) =>
  api.get<{ tracks: Track[] }>(`/v1/artists/${id(artistId)}/top-tracks`, undefined, signal);

export const getNewReleases = (offset: number, limit = 20, signal?: Signal) =>
  api.get<{ albums: Paging<SimplifiedAlbum> }>('/v1/browse/new-releases', { offset, limit }, signal);

/** Segue's extension: every album in the library, most recently added first. */
export const getRecentlyAdded = (offset: number, limit = 20, signal?: Signal) =>
  api.get<{ albums: Paging<SimplifiedAlbum> }>('/v1/browse/recently-added', { offset, limit }, signal);

export const getRecentlyPlayed = (limit = 50, signal?: Signal) =>
  api.get<CursorPaging<PlayHistory>>('/v1/me/player/recently-played', { limit }, signal);

export const getSavedTracks = (offset: number, limit = 50, signal?: Signal) =>
  api.get<Paging<SavedTrack>>('/v1/me/tracks', { offset, limit }, signal);

export const getSavedAlbums = (offset: number, limit = 50, signal?: Signal) =>
  api.get<Paging<SavedAlbum>>('/v1/me/albums', { offset, limit }, signal);

export type LibraryKind = 'tracks' | 'albums';

export const libraryContains = (kind: LibraryKind, ids: readonly string[], signal?: Signal) =>
  api.get<boolean[]>(`/v1/me/${kind}/contains`, { ids }, signal);

export const saveToLibrary = (kind: LibraryKind, ids: readonly string[]) =>
  api.request<void>(`/v1/me/${kind}`, { method: 'PUT', body: { ids } });

export const removeFromLibrary = (kind: LibraryKind, ids: readonly string[]) =>
  api.request<void>(`/v1/me/${kind}`, { method: 'DELETE', body: { ids } });
