// Tiles of recently played radio stations and tracks: a station starts again from its seed; a
// track plays the list from there.
import { toPlayerTrack } from '../../api/convert';
import { getRecentlyPlayed } from '../../api/endpoints';
import { usePlayer, useRadio } from '../../player';
import { Cover } from '../../components/Cover';
import { PlayIcon, RadioIcon } from '../../components/Icons';
import { showNotice } from '../../components/notices';
import { ErrorMessage, Loading } from '../../components/LoadState';
import { useAsync } from '../../components/useAsync';
import { recentRadios, uniqueRecentTracks, type RecentRadio } from './recent';

export function RecentlyPlayed() {
  const player = usePlayer();
  const radio = useRadio();
  const state = useAsync((signal) => getRecentlyPlayed(50, signal), []);
  if (state.status === 'loading') return <Loading />;
  if (state.status === 'error') return <ErrorMessage error={state.error} onRetry={state.reload} />;
  const tracks = uniqueRecentTracks(state.data.items).slice(0, 12).map((t) => toPlayerTrack(t));
  const radios = radio ? recentRadios(state.data.items).slice(0, 4) : [];
  const startRadio = (r: RecentRadio) => {
    radio?.start(r.seedUri, r.name).catch((err: unknown) =>
      showNotice(`Could not start ${r.name} Radio: ${err instanceof Error ? err.message : 'the server refused'}`));
  };
  if (tracks.length === 0) {
    return <p class="muted">Nothing played yet. Pick an album and press play.</p>;
  }
  return (
    <ul class="tile-grid" aria-label="Recently played tracks">
      {radios.map((r) => (
        <li key={r.uri}>
          <button type="button" class="tile tile-radio" data-uri={r.uri} onClick={() => startRadio(r)}>
            <Cover images={r.images} size={56} alt="" class="tile-cover" />
            <span class="tile-text">
              <span class="visually-hidden">Play </span>
              <span class="tile-title">{r.name} Radio</span>
              <span class="tile-sub">Radio</span>
            </span>
            <span class="tile-play"><RadioIcon size={20} /></span>
          </button>
        </li>
      ))}
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
