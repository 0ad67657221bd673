// A home-page row of albums from one paged browse endpoint.
import type { Paging, SimplifiedAlbum } from '../../api/types';
import { AlbumGrid } from '../../components/AlbumGrid';
import { ErrorMessage, Loading } from '../../components/LoadState';
import { useAsync } from '../../components/useAsync';

export function AlbumShelf({ label, load }: {
  label: string;
  load: (signal: AbortSignal) => Promise<{ albums: Paging<SimplifiedAlbum> }>;
}) {
  const state = useAsync(load, []);
  if (state.status === 'loading') return <Loading />;
  if (state.status === 'error') return <ErrorMessage error={state.error} onRetry={state.reload} />;
  if (state.data.albums.items.length === 0) return <p class="muted">No albums yet.</p>;
  return <AlbumGrid albums={state.data.albums.items} label={label} />;
}
