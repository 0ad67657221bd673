import type { Image, PlayHistory, Track } from '../../api/types';

/** A radio station played lately: started again from its seed. */
export interface RecentRadio {
  /** The station's context URI, segue:radio:<seed uri>. */
  uri: string;
  seedUri: string;
  /** The seed's name ("Ash Harbor"); the tile says "Ash Harbor Radio". */
  name: string;
  /** The cover of the station's latest track. */
  images: Image[];
}

/** "Playlist" for a seed whose name the server did not give (a playlist the user cannot read). */
function seedKindName(type: string): string {
  return type ? type.charAt(0).toUpperCase() + type.slice(1) : 'Your';
}

/** The radio stations of the history (context type "radio" with a seed), most recent first, each once. */
export function recentRadios(history: readonly PlayHistory[]): RecentRadio[] {
  const seen = new Set<string>();
  const out: RecentRadio[] = [];
  for (const item of history) {
    const c = item.context;
    if (!c || c.type !== 'radio' || !c.seed?.uri || seen.has(c.uri)) continue;
    seen.add(c.uri);
    out.push({ uri: c.uri, seedUri: c.seed.uri, name: c.seed.name || seedKindName(c.seed.type), images: item.track?.album?.images ?? [] });
  }
  return out;
}

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
