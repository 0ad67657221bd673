import { getAlbum, getAlbumTracks } from '../../api/endpoints';
import type { Album } from '../../api/types';

/** The album with all of its tracks (the album object carries only the first page). */
export async function loadFullAlbum(id: string, signal: AbortSignal): Promise<Album> {
  const album = await getAlbum(id, signal);
  const tracks = [...album.tracks.items];
  while (tracks.length < album.tracks.total) {
    const page = await getAlbumTracks(id, tracks.length, 50, signal);
    if (page.items.length === 0) break;
    tracks.push(...page.items);
  }
  return { ...album, tracks: { ...album.tracks, items: tracks } };
}
