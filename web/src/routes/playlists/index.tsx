// Playlists: the ones the user owns, collaborates on or follows, and "Create playlist".
import { useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { describeError } from '../../api/errors';
import { createPlaylist, getMyPlaylists, type SimplifiedPlaylist } from '../../api/playlists';
import { useTitle } from '../../app/useTitle';
import { LoadMore } from '../../components/LoadMore';
import { ErrorMessage, Loading } from '../../components/LoadState';
import { PlaylistCover } from '../../components/PlaylistCover';
import { usePaged } from '../../components/usePaged';

const PAGE = 48;

function subtitle(p: SimplifiedPlaylist): string {
  const owner = p.owner.display_name || p.owner.id;
  const count = p.tracks?.total ?? 0;
  return [p.collaborative ? 'Collaborative' : `By ${owner}`, `${count} ${count === 1 ? 'song' : 'songs'}`].join(' · ');
}

function CreateDialog({ onClose }: { onClose: () => void }) {
  const { route } = useLocation();
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  const opened = useRef(false);

  const attach = (element: HTMLDialogElement | null) => {
    dialog.current = element;
    if (element && !opened.current) {
      opened.current = true;
      if (typeof element.showModal === 'function') element.showModal();
      else element.setAttribute('open', '');
    }
  };

  const onSubmit = async (event: Event) => {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) {
      setError('Give the playlist a name.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const playlist = await createPlaylist(trimmed);
      dialog.current?.close();
      route(`/playlist/${encodeURIComponent(playlist.id)}`);
    } catch (cause) {
      setError(`Could not create the playlist: ${describeError(cause)}`);
      setBusy(false);
    }
  };

  return (
    <dialog ref={attach} class="dialog" aria-labelledby="create-playlist-title" onClose={onClose}>
      <form class="dialog-form" onSubmit={onSubmit}>
        <h2 id="create-playlist-title">Create playlist</h2>
        <label class="field">
          <span>Name</span>
          <input type="text" value={name} maxLength={100} required autoFocus
            onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
        </label>
        {error && <p class="form-error" role="alert">{error}</p>}
        <div class="button-row">
          <button type="submit" class="button" disabled={busy}>{busy ? 'Creating…' : 'Create'}</button>
          <button type="button" class="button button-secondary" onClick={() => dialog.current?.close()}>Cancel</button>
        </div>
      </form>
    </dialog>
  );
}

export default function Playlists() {
  useTitle('Playlists');
  const [creating, setCreating] = useState(false);
  const playlists = usePaged('playlists', (offset, signal) => getMyPlaylists(offset, PAGE, signal));
  return (
    <div class="page playlists-page">
      <div class="page-head">
        <h1>Playlists</h1>
        <div class="button-row">
          <a class="button button-outline" href="/smart">Smart playlists</a>
          <button type="button" class="button" onClick={() => setCreating(true)}>Create playlist</button>
        </div>
      </div>
      {creating && <CreateDialog onClose={() => setCreating(false)} />}
      {playlists.items.length > 0 && (
        <ul class="album-grid" aria-label="Your playlists">
          {playlists.items.map((p) => (
            <li key={p.id} class="card">
              <a class="card-link" href={`/playlist/${encodeURIComponent(p.id)}`}>
                <PlaylistCover images={p.images} size={200} alt="" class="card-cover" />
                <span class="card-title">{p.name}</span>
              </a>
              <span class="card-sub">{subtitle(p)}</span>
            </li>
          ))}
        </ul>
      )}
      {playlists.items.length === 0 && playlists.busy && <Loading />}
      {playlists.items.length === 0 && !playlists.busy && !playlists.error && !playlists.hasMore && (
        <p class="muted">No playlists yet. Create one, then add tracks from any album.</p>
      )}
      {playlists.error != null && <ErrorMessage error={playlists.error} onRetry={playlists.loadMore} />}
      {playlists.items.length > 0 && playlists.hasMore && !playlists.error && <LoadMore onLoad={playlists.loadMore} busy={playlists.busy} />}
    </div>
  );
}
