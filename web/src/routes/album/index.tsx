// An album: cover, name, artists, year, total time, Play and Save, tracks grouped by disc.
import { useMemo } from 'preact/hooks';
import { toPlayerTrack } from '../../api/convert';
import type { Album } from '../../api/types';
import { usePlayer } from '../../player';
import { useTitle } from '../../app/useTitle';
import { albumKind } from '../../components/AlbumGrid';
import { ArtistLinks } from '../../components/ArtistLinks';
import { GoToRadio } from '../../components/GoToRadio';
import { Cover } from '../../components/Cover';
import { groupByDisc, showDiscHeadings } from '../../components/discs';
import { formatTotal, releaseYear, totalDuration } from '../../components/format';
import { PlayIcon } from '../../components/Icons';
import { ErrorMessage, Loading } from '../../components/LoadState';
import { SaveButton } from '../../components/SaveButton';
import { TrackList } from '../../components/TrackList';
import { useAsync } from '../../components/useAsync';
import { useSaved } from '../../components/useSaved';
import { loadFullAlbum } from './load';

export default function AlbumPage({ id }: { id: string }) {
  const state = useAsync((signal) => loadFullAlbum(id, signal), [id]);
  useTitle(state.status === 'ready' ? state.data.name : 'Album');
  if (state.status === 'loading') return <div class="page"><Loading /></div>;
  if (state.status === 'error') return <div class="page"><ErrorMessage error={state.error} onRetry={state.reload} /></div>;
  return <AlbumView album={state.data} />;
}

function AlbumView({ album }: { album: Album }) {
  const player = usePlayer();
  const saved = useSaved('albums', [album.id]);
  const tracks = useMemo(() => {
    const groups = groupByDisc(album.tracks.items);
    return groups.flatMap((g) => g.tracks).map((t) => toPlayerTrack(t, album));
  }, [album]);
  const groups = useMemo(() => groupByDisc(tracks), [tracks]);
  const withHeadings = showDiscHeadings(groups);
  const year = releaseYear(album.release_date);
  let offset = 0;

  return (
    <div class="page album-page">
      <header class="hero">
        <Cover images={album.images} size={232} alt={`Cover of ${album.name}`} class="hero-cover" eager />
        <div class="hero-text">
          <p class="hero-kind">{albumKind(album.album_type)}</p>
          <h1 class="hero-title">{album.name}</h1>
          <p class="hero-meta">
            <span class="hero-artists"><ArtistLinks artists={album.artists} /></span>
            {year && <span> · {year}</span>}
            <span> · {formatTotal(tracks.length, totalDuration(tracks))}</span>
          </p>
        </div>
      </header>
      <div class="action-bar">
        <button
          type="button"
          class="play-button"
          aria-label="Play album"
          disabled={tracks.length === 0}
          onClick={() => player.playTracks(tracks, 0, album.uri, album.name)}
        >
          <PlayIcon size={28} />
        </button>
        <SaveButton kind="albums" id={album.id} saved={saved(album.id)} label="Save album" class="save-large" />
        <GoToRadio uri={album.uri} name={album.name} />
      </div>
      {groups.map((group) => {
        const start = offset;
        offset += group.tracks.length;
        const list = (
          <TrackList
            tracks={group.tracks}
            context={tracks}
            indexOffset={start}
            contextUri={album.uri}
            contextName={album.name}
            label={withHeadings ? `Disc ${group.disc}` : 'Tracks'}
            numbering="track"
            addToPlaylist
          />
        );
        return withHeadings ? (
          <section key={group.disc} class="disc" aria-label={`Disc ${group.disc}`}>
            <h2 class="disc-heading">Disc {group.disc}</h2>
            {list}
          </section>
        ) : <div key={group.disc}>{list}</div>;
      })}
      {album.label && <p class="album-label muted">{album.label}</p>}
    </div>
  );
}
