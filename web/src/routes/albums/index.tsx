// Every album in the library (Segue's recently-added browse lists them all), page by page.
import { getRecentlyAdded } from '../../api/endpoints';
import { useTitle } from '../../app/useTitle';
import { AlbumGrid } from '../../components/AlbumGrid';
import { LoadMore } from '../../components/LoadMore';
import { ErrorMessage, Loading } from '../../components/LoadState';
import { usePaged } from '../../components/usePaged';

const PAGE = 48;

export default function Albums() {
  useTitle('Albums');
  const albums = usePaged('albums', (offset, signal) => getRecentlyAdded(offset, PAGE, signal).then((r) => r.albums));
  return (
    <div class="page">
      <div class="page-head">
        <h1>Albums</h1>
        {albums.total !== null && <p class="muted">{albums.total} {albums.total === 1 ? 'album' : 'albums'}</p>}
      </div>
      {albums.items.length > 0 && <AlbumGrid albums={albums.items} label="Albums" />}
      {albums.items.length === 0 && albums.busy && <Loading />}
      {albums.items.length === 0 && !albums.busy && !albums.error && !albums.hasMore && (
        <p class="muted">No albums yet. Add music to the library folder and Segue will find it.</p>
      )}
      {albums.error != null && <ErrorMessage error={albums.error} onRetry={albums.loadMore} />}
      {albums.items.length > 0 && albums.hasMore && !albums.error && <LoadMore onLoad={albums.loadMore} busy={albums.busy} />}
    </div>
  );
}
