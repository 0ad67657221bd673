// Your Library: saved tracks and saved albums; un-saving removes them from the lists.
import { toPlayerTrack } from '../../api/convert';
import { getSavedAlbums, getSavedTracks } from '../../api/endpoints';
import { rememberSaved } from '../../api/saved';
import { useTitle } from '../../app/useTitle';
import { AlbumGrid } from '../../components/AlbumGrid';
import { LoadMore } from '../../components/LoadMore';
import { ErrorMessage, Loading } from '../../components/LoadState';
import { Section } from '../../components/Section';
import { TrackList } from '../../components/TrackList';
import { usePaged } from '../../components/usePaged';

const PAGE = 50;

function SavedTracks() {
  const saved = usePaged('saved-tracks', async (offset, signal) => {
    const page = await getSavedTracks(offset, PAGE, signal);
    rememberSaved('tracks', page.items.map((item) => item.track.id), true);
    return { ...page, items: page.items.map((item) => toPlayerTrack(item.track)) };
  });
  return (
    <Section title="Saved tracks">
      {saved.items.length > 0 && (
        <TrackList tracks={saved.items} label="Saved tracks" contextName="Your Library" showCover showAlbum hideUnsaved />
      )}
      {saved.items.length === 0 && saved.busy && <Loading />}
      {saved.items.length === 0 && !saved.busy && !saved.error && !saved.hasMore && (
        <p class="muted">Tracks you save with the heart show up here.</p>
      )}
      {saved.error != null && <ErrorMessage error={saved.error} onRetry={saved.loadMore} />}
      {saved.items.length > 0 && saved.hasMore && !saved.error && <LoadMore onLoad={saved.loadMore} busy={saved.busy} label="More tracks" />}
    </Section>
  );
}

function SavedAlbums() {
  const saved = usePaged('saved-albums', async (offset, signal) => {
    const page = await getSavedAlbums(offset, PAGE, signal);
    rememberSaved('albums', page.items.map((item) => item.album.id), true);
    return { ...page, items: page.items.map((item) => item.album) };
  });
  return (
    <Section title="Saved albums">
      {saved.items.length > 0 && <AlbumGrid albums={saved.items} label="Saved albums" saveToggles hideUnsaved />}
      {saved.items.length === 0 && saved.busy && <Loading />}
      {saved.items.length === 0 && !saved.busy && !saved.error && !saved.hasMore && (
        <p class="muted">Albums you save show up here.</p>
      )}
      {saved.error != null && <ErrorMessage error={saved.error} onRetry={saved.loadMore} />}
      {saved.items.length > 0 && saved.hasMore && !saved.error && <LoadMore onLoad={saved.loadMore} busy={saved.busy} label="More albums" />}
    </Section>
  );
}

export default function Library() {
  useTitle('Your Library');
  return (
    <div class="page library">
      <h1>Your Library</h1>
      <SavedTracks />
      <SavedAlbums />
    </div>
  );
}
