// Album tracks grouped by disc, in disc and track order.

export interface DiscGroup<T> {
  disc: number;
  tracks: T[];
}

export function groupByDisc<T extends { disc_number?: number; track_number?: number }>(tracks: readonly T[]): DiscGroup<T>[] {
  const byDisc = new Map<number, T[]>();
  for (const track of tracks) {
    const disc = track.disc_number && track.disc_number > 0 ? track.disc_number : 1;
    const group = byDisc.get(disc);
    if (group) group.push(track);
    else byDisc.set(disc, [track]);
  }
  return [...byDisc.entries()]
    .sort(([a], [b]) => a - b)
    .map(([disc, group]) => ({
      disc,
      tracks: [...group].sort((a, b) => (a.track_number ?? 0) - (b.track_number ?? 0)),
    }));
}

/** Disc headings are only worth showing when there are several discs. */
export function showDiscHeadings(groups: readonly DiscGroup<unknown>[]): boolean {
  return groups.length > 1;
}
