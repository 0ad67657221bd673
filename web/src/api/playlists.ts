// Playlists: the Spotify-shaped endpoints and Segue's extensions (versions, restore, invites,
// collaborators). See docs/formats/playlist-api.md. Positional edits carry the snapshot_id the
// page showed, so the server resolves positions against what the user saw.
import { api } from './index';
import type { Image, Paging, Track, User } from './types';

type Signal = AbortSignal | undefined;
const id = encodeURIComponent;

export interface PlaylistOwner {
  id: string;
  display_name: string | null;
}

export interface SimplifiedPlaylist {
  id: string;
  name: string;
  description: string | null;
  public: boolean | null;
  collaborative: boolean;
  owner: PlaylistOwner;
  snapshot_id: string;
  images: Image[] | null;
  uri: string;
  tracks: { total: number; href?: string };
}

export interface PlaylistItem {
  added_at: string | null;
  added_by: PlaylistOwner | null;
  is_local: boolean;
  /** null for a track no longer in the library. */
  track: Track | null;
}

export interface Playlist extends Omit<SimplifiedPlaylist, 'tracks'> {
  followers?: { total: number };
  tracks: Paging<PlaylistItem>;
}

export interface PlaylistVersion {
  version: number;
  snapshot_id: string;
  changed_by: PlaylistOwner | null;
  changed_at: string;
  summary: string;
}

export interface Invite {
  id: string;
  token: string;
  url: string;
  expires_at: string;
  /** How many people the link admits (the server's default is 1). */
  max_uses: number | null;
  uses: number;
}

interface Snapshot {
  snapshot_id: string;
}

const PAGE = 100;

export const getMyPlaylists = (offset: number, limit = 50, signal?: Signal) =>
  api.get<Paging<SimplifiedPlaylist>>('/v1/me/playlists', { offset, limit }, signal);

export const createPlaylist = (name: string, description = '') =>
  api.request<Playlist>('/v1/me/playlists', { method: 'POST', body: { name, description, public: false } });

export const getPlaylist = (playlistId: string, signal?: Signal) =>
  api.get<Playlist>(`/v1/playlists/${id(playlistId)}`, undefined, signal);

export const updatePlaylist = (playlistId: string, details: { name?: string; description?: string; public?: boolean; collaborative?: boolean }) =>
  api.request<void>(`/v1/playlists/${id(playlistId)}`, { method: 'PUT', body: details });

export const getPlaylistItems = (playlistId: string, offset: number, limit = PAGE, signal?: Signal) =>
  api.get<Paging<PlaylistItem>>(`/v1/playlists/${id(playlistId)}/tracks`, { offset, limit }, signal);

/** Every item, page after page, after the first page `first` (when given). */
export async function loadAllItems(playlistId: string, signal?: Signal, first?: Paging<PlaylistItem>): Promise<PlaylistItem[]> {
  const page = first ?? await getPlaylistItems(playlistId, 0, PAGE, signal);
  const items = [...page.items];
  while (items.length < page.total) {
    const next = await getPlaylistItems(playlistId, items.length, PAGE, signal);
    if (next.items.length === 0) break;
    items.push(...next.items);
  }
  return items;
}

export const addToPlaylist = (playlistId: string, uris: readonly string[], position?: number, snapshotId?: string) =>
  api.request<Snapshot>(`/v1/playlists/${id(playlistId)}/tracks`, {
    method: 'POST', body: { uris, position, snapshot_id: snapshotId }, networkRetries: 1,
  });

export const reorderPlaylist = (playlistId: string, move: { range_start: number; insert_before: number; range_length: number }, snapshotId?: string) =>
  api.request<Snapshot>(`/v1/playlists/${id(playlistId)}/tracks`, {
    method: 'PUT', body: { ...move, snapshot_id: snapshotId }, networkRetries: 1,
  });

export const removeFromPlaylist = (playlistId: string, uri: string, position: number, snapshotId?: string) =>
  api.request<Snapshot>(`/v1/playlists/${id(playlistId)}/tracks`, {
    method: 'DELETE', body: { tracks: [{ uri, positions: [position] }], snapshot_id: snapshotId }, networkRetries: 1,
  });

export const getVersions = (playlistId: string, signal?: Signal) =>
  api.get<{ items: PlaylistVersion[] }>(`/v1/playlists/${id(playlistId)}/versions`, undefined, signal);

export const restoreVersion = (playlistId: string, snapshotId: string) =>
  api.request<Snapshot>(`/v1/playlists/${id(playlistId)}/versions/${id(snapshotId)}/restore`, { method: 'POST', networkRetries: 1 });

export const createInvite = (playlistId: string) =>
  api.request<Invite>(`/v1/playlists/${id(playlistId)}/invites`, { method: 'POST', networkRetries: 1 });

export const acceptInvite = (token: string) =>
  api.request<Playlist>(`/v1/playlist-invites/${id(token)}`, { method: 'POST', networkRetries: 1 });

export const getCollaborators = (playlistId: string, signal?: Signal) =>
  api.get<{ items: User[] }>(`/v1/playlists/${id(playlistId)}/collaborators`, undefined, signal);

export const removeCollaborator = (playlistId: string, userId: string) =>
  api.request<void>(`/v1/playlists/${id(playlistId)}/collaborators/${id(userId)}`, { method: 'DELETE' });

/** Whether `user` may change the items: the owner, or anyone who can see a collaborative one. */
export function canEdit(playlist: Pick<SimplifiedPlaylist, 'owner' | 'collaborative'>, userId: string | null): boolean {
  return userId !== null && (playlist.owner.id === userId || playlist.collaborative);
}

let me: Promise<User> | null = null;

/** The logged-in user (asked once per session). */
export function getMyself(): Promise<User> {
  if (!me) {
    me = api.get<User>('/v1/me');
    me.catch(() => { me = null; });
  }
  return me;
}

/** Forgets the user (logout): someone else may log in next. */
export function forgetMyself(): void {
  me = null;
}

/** The playlists the user may add tracks to (owned or collaborative), first 50. */
export async function getEditablePlaylists(signal?: Signal): Promise<SimplifiedPlaylist[]> {
  const [user, page] = await Promise.all([getMyself(), getMyPlaylists(0, 50, signal)]);
  return page.items.filter((p) => canEdit(p, user.id));
}
