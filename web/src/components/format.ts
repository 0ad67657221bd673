// Durations and dates as people read them.

/** 3:07, or 1:02:03 past an hour. */
export function formatDuration(ms: number): string {
  const totalSeconds = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = String(totalSeconds % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/** "12 songs, 47 min"; "1 song, 3 min"; "20 songs, 1 hr 5 min". Minutes are rounded. */
export function formatTotal(trackCount: number, totalMs: number): string {
  const songs = `${trackCount} ${trackCount === 1 ? 'song' : 'songs'}`;
  const minutes = Math.round(totalMs / 60_000);
  if (minutes >= 60) {
    const hours = Math.floor(minutes / 60);
    const rest = minutes % 60;
    return `${songs}, ${hours} hr${rest ? ` ${rest} min` : ''}`;
  }
  return `${songs}, ${minutes} min`;
}

export function totalDuration(tracks: readonly { duration_ms: number }[]): number {
  return tracks.reduce((sum, track) => sum + (track.duration_ms || 0), 0);
}

/** The year of a Spotify release_date ("2001", "2001-05", "2001-05-14"), or "". */
export function releaseYear(releaseDate: string | undefined): string {
  const match = /^(\d{4})/.exec(releaseDate ?? '');
  return match && match[1] !== '0000' ? match[1] : '';
}
