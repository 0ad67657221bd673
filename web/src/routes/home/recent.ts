import type { PlayHistory, Track } from '../../api/types';

/** Recently played tracks, most recent first, each track once. */
export function uniqueRecentTracks(history: readonly PlayHistory[]): Track[] {
  const seen = new Set<string>();
  const tracks: Track[] = [];
  for (const item of history) {
    if (!item.track || seen.has(item.track.id)) continue;
    seen.add(item.track.id);
    tracks.push(item.track);
  }
  return tracks;
}

export function greeting(hour: number): string {
  if (hour >= 5 && hour < 12) return 'Good morning';
  if (hour >= 12 && hour < 18) return 'Good afternoon';
  return 'Good evening';
}
