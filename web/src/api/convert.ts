// Spotify track objects -> the player's PlayerTrack (with the numbers track lists show).
import type { PlayerTrack } from '../player/types';
import type { SimplifiedAlbum, SimplifiedTrack, Track } from './types';

type AlbumRef = Pick<SimplifiedAlbum, 'id' | 'name' | 'images'>;
export type NumberedTrack = PlayerTrack & { track_number: number; disc_number: number };

export function toPlayerTrack(track: SimplifiedTrack | Track, album?: AlbumRef): NumberedTrack {
  const source = album ?? ('album' in track ? track.album : undefined);
  return {
    id: track.id,
    uri: track.uri,
    name: track.name,
    duration_ms: track.duration_ms,
    track_number: track.track_number,
    disc_number: track.disc_number,
    artists: track.artists.map((a) => ({ id: a.id, name: a.name })),
    album: { id: source?.id ?? '', name: source?.name ?? '', images: source?.images ?? [] },
  };
}
