// An artist: name, picture, top tracks and albums.
import { toPlayerTrack } from '../../api/convert';
import { getArtist, getArtistAlbums, getArtistTopTracks } from '../../api/endpoints';
import type { Artist } from '../../api/types';
import { usePlayer } from '../../player';
import { useTitle } from '../../app/useTitle';
import { AlbumGrid } from '../../components/AlbumGrid';
import { Cover } from '../../components/Cover';
import { GoToRadio } from '../../components/GoToRadio';
import { PlayIcon } from '../../components/Icons';
import { LoadMore } from '../../components/LoadMore';
import { ErrorMessage, Loading } from '../../components/LoadState';
import { Section } from '../../components/Section';
import { TrackList } from '../../components/TrackList';
import { useAsync } from '../../components/useAsync';
import { usePaged } from '../../components/usePaged';

export default function ArtistPage({ id }: { id: string }) {
  const state = useAsync((signal) => getArtist(id, signal), [id]);
  useTitle(state.status === 'ready' ? state.data.name : 'Artist');
  if (state.status === 'loading') return <div class="page"><Loading /></div>;
  if (state.status === 'error') return <div class="page"><ErrorMessage error={state.error} onRetry={state.reload} /></div>;
  return <ArtistView artist={state.data} />;
}

function ArtistView({ artist }: { artist: Artist }) {
  const player = usePlayer();
  const top = useAsync((signal) => getArtistTopTracks(artist.id, signal).then((r) => r.tracks.map((t) => toPlayerTrack(t))), [artist.id]);
  const albums = usePaged(`artist-${artist.id}`, (offset, signal) => getArtistAlbums(artist.id, offset, 48, signal));
  const topTracks = top.status === 'ready' ? top.data : [];

  return (
    <div class="page artist-page">
      <header class="hero">
        <Cover images={artist.images} size={232} alt={`Picture of ${artist.name}`} class="hero-cover hero-round" eager />
        <div class="hero-text">
          <p class="hero-kind">Artist</p>
          <h1 class="hero-title">{artist.name}</h1>
          {artist.genres && artist.genres.length > 0 && <p class="hero-meta">{artist.genres.join(', ')}</p>}
        </div>
      </header>
      <div class="action-bar">
        <button
          type="button"
          class="play-button"
          aria-label="Play top tracks"
          disabled={topTracks.length === 0}
          onClick={() => player.playTracks(topTracks, 0, artist.uri, artist.name)}
        >
          <PlayIcon size={28} />
        </button>
        <GoToRadio uri={artist.uri} name={artist.name} />
      </div>
      <Section title="Top tracks">
        {top.status === 'loading' && <Loading />}
        {top.status === 'error' && <ErrorMessage error={top.error} onRetry={top.reload} />}
        {top.status === 'ready' && (topTracks.length
          ? <TrackList tracks={topTracks} label="Top tracks" contextUri={artist.uri} contextName={artist.name} showCover showAlbum addToPlaylist />
          : <p class="muted">No tracks yet.</p>)}
      </Section>
      <Section title="Albums">
        {albums.items.length > 0 && <AlbumGrid albums={albums.items} label={`Albums by ${artist.name}`} hideArtists />}
        {albums.items.length === 0 && albums.busy && <Loading />}
        {albums.items.length === 0 && !albums.busy && !albums.error && !albums.hasMore && <p class="muted">No albums.</p>}
        {albums.error != null && <ErrorMessage error={albums.error} onRetry={albums.loadMore} />}
        {albums.items.length > 0 && albums.hasMore && !albums.error && <LoadMore onLoad={albums.loadMore} busy={albums.busy} />}
      </Section>
    </div>
  );
}
