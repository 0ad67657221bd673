// Tiles of recently played tracks; choosing one plays the list from there.
import { toPlayerTrack } from '../../api/convert';
import { getRecentlyPlayed } from '../../api/endpoints';
import { usePlayer } from '../../player';
import { Cover } from '../../components/Cover';
import { PlayIcon } from '../../components/Icons';
import { ErrorMessage, Loading } from '../../components/LoadState';
import { useAsync } from '../../components/useAsync';
import { uniqueRecentTracks } from './recent';

export function RecentlyPlayed() {
  const player = usePlayer();
  const state = useAsync((signal) => getRecentlyPlayed(50, signal), []);
  if (state.status === 'loading') return <Loading />;
  if (state.status === 'error') return <ErrorMessage error={state.error} onRetry={state.reload} />;
  const tracks = uniqueRecentTracks(state.data.items).slice(0, 12).map((t) => toPlayerTrack(t));
  if (tracks.length === 0) {
    return <p class="muted">Nothing played yet. Pick an album and press play.</p>;
  }
  return (
    <ul class="tile-grid" aria-label="Recently played tracks">
      {tracks.map((track, i) => (
        <li key={track.id}>
          {/* The name is the visible text with "Play " before it (no aria-label that would
              differ from what sighted users read: WCAG 2.5.3). */}
          <button type="button" class="tile" onClick={() => player.playTracks(tracks, i)}>
            <Cover images={track.album.images} size={56} alt="" class="tile-cover" />
            <span class="tile-text">
              <span class="visually-hidden">Play </span>
              <span class="tile-title">{track.name}</span>
              <span class="tile-sub">{track.artists.map((a) => a.name).join(', ')}</span>
            </span>
            <span class="tile-play"><PlayIcon size={20} /></span>
          </button>
        </li>
      ))}
    </ul>
  );
}
