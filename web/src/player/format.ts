// Small display helpers shared by the player's components.
import type { PlayerTrack } from './types';

/** 0 -> "0:00", 83_000 -> "1:23", 3_723_000 -> "1:02:03". */
export function formatTime(ms: number): string {
  const total = Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : 0;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

export function artistNames(track: PlayerTrack): string {
  return track.artists.map((a) => a.name).join(', ');
}

/** The smallest cover at least `px` wide (the largest if none is), or null. */
export function coverUrl(track: PlayerTrack | null, px = 64): string | null {
  const images = track?.album.images ?? [];
  if (images.length === 0) return null;
  const sorted = images.slice().sort((a, b) => (a.width ?? 0) - (b.width ?? 0));
  return (sorted.find((i) => (i.width ?? 0) >= px) ?? sorted[sorted.length - 1]).url;
}
