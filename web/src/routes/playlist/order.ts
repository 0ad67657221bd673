// The pure parts of the playlist page: Spotify reorder bodies for "move up", "move down" and
// drag-and-drop, the same move applied locally (shown at once, before the server answers),
// durations, and the cover mosaic.
import type { Image } from '../../api/types';

export interface Move {
  range_start: number;
  insert_before: number;
  range_length: number;
}

/** Moves the item at `from` one place up (null when it is first). */
export function moveUp(from: number): Move | null {
  return from > 0 ? { range_start: from, insert_before: from - 1, range_length: 1 } : null;
}

/** Moves the item at `from` one place down in a list of `length` (null when it is last). */
export function moveDown(from: number, length: number): Move | null {
  return from < length - 1 ? { range_start: from, insert_before: from + 2, range_length: 1 } : null;
}

/**
 * Drops the item at `from` onto the row at `target`, so that it ends where that row was (rows in
 * between shift by one). Null when nothing moves.
 */
export function dropOnto(from: number, target: number): Move | null {
  if (from === target) return null;
  return { range_start: from, insert_before: target > from ? target + 1 : target, range_length: 1 };
}

/** Drops the item at `from` into the gap before position `gap` (0..length). Null when nothing moves. */
export function dropBefore(from: number, gap: number): Move | null {
  if (gap === from || gap === from + 1) return null;
  return { range_start: from, insert_before: gap, range_length: 1 };
}

/** Applies a Spotify reorder to a copy of `list` (positions refer to the list before the move). */
export function applyMove<T>(list: readonly T[], move: Move): T[] {
  const { range_start: start, insert_before: before, range_length: length } = move;
  if (start < 0 || length < 1 || start + length > list.length || before < 0 || before > list.length) return [...list];
  if (before >= start && before <= start + length) return [...list];
  const moved = list.slice(start, start + length);
  const rest = [...list.slice(0, start), ...list.slice(start + length)];
  const at = before > start ? before - length : before;
  rest.splice(at, 0, ...moved);
  return rest;
}

/** Where the moved item ends (its index after `applyMove`). */
export function finalIndex(move: Move): number {
  return move.insert_before > move.range_start ? move.insert_before - move.range_length : move.insert_before;
}

/** The total length of the items that are still tracks (removed ones count for nothing). */
export function playlistDuration(items: readonly { track: { duration_ms: number } | null }[]): number {
  return items.reduce((sum, item) => sum + (item.track?.duration_ms ?? 0), 0);
}

/** Up to four different album covers, for a playlist without its own image. */
export function mosaicImages(items: readonly { track: { album: { id: string; images: Image[] } } | null }[]): Image[][] {
  const seen = new Set<string>();
  const covers: Image[][] = [];
  for (const item of items) {
    const album = item.track?.album;
    if (!album || seen.has(album.id) || album.images.length === 0) continue;
    seen.add(album.id);
    covers.push(album.images);
    if (covers.length === 4) break;
  }
  return covers;
}
