// Smart playlists: the user's playlists kept filled by rules (docs/formats/smart-playlists.md).
// Each opens and plays like any playlist; "New smart playlist" opens the rule editor, and a
// Navidrome .nsp file can be imported.
import { useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { toPlayerTrack } from '../../api/convert';
import { describeError } from '../../api/errors';
import { getPlaylist, loadAllItems } from '../../api/playlists';
import { getSmartPlaylists, importNsp, type SmartPlaylist } from '../../api/smart';
import { useTitle } from '../../app/useTitle';
import { PlayIcon } from '../../components/Icons';
import { LoadMore } from '../../components/LoadMore';
import { ErrorMessage, Loading } from '../../components/LoadState';
import { PlaylistCover } from '../../components/PlaylistCover';
import { showNotice } from '../../components/notices';
import { usePaged } from '../../components/usePaged';
import { usePlayer } from '../../player';
import { summary } from './rules';

const PAGE = 48;
const href = (p: SmartPlaylist) => `/playlist/${encodeURIComponent(p.id)}`;

function ImportButton({ setError }: { setError: (message: string | null) => void }) {
  const { route } = useLocation();
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);

  const onFile = async (event: Event) => {
    const file = (event.currentTarget as HTMLInputElement).files?.[0];
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      const playlist = await importNsp(await file.text(), undefined);
      route(`/smart/${encodeURIComponent(playlist.id)}`);
    } catch (cause) {
      setError(`Could not import ${file.name}: ${describeError(cause)}`);
    } finally {
      setBusy(false);
      if (input.current) input.current.value = '';
    }
  };

  // The label is the visible button; the file input stays reachable for assistive tech.
  return (
    <label class="button button-outline smart-import">
      {busy ? 'Importing…' : 'Import .nsp file'}
      <input ref={input} type="file" accept=".nsp,application/json" class="visually-hidden" disabled={busy}
        data-testid="nsp-file" onChange={onFile} />
    </label>
  );
}

function SmartCard({ playlist }: { playlist: SmartPlaylist }) {
  const player = usePlayer();
  const count = playlist.tracks?.total ?? 0;
  const play = async () => {
    try {
      const full = await getPlaylist(playlist.id);
      const items = await loadAllItems(playlist.id, undefined, full.tracks);
      const tracks = items.flatMap((i) => (i.track ? [toPlayerTrack(i.track)] : []));
      if (tracks.length === 0) {
        showNotice(`${playlist.name} has no tracks to play: no track meets its rules yet.`);
        return;
      }
      player.playTracks(tracks, 0, playlist.uri, playlist.name);
    } catch (error) {
      showNotice(`Could not play ${playlist.name}: ${describeError(error)}`);
    }
  };
  return (
    <li class="smart-row" data-playlist={playlist.id}>
      <a class="smart-open" href={href(playlist)}>
        <PlaylistCover images={playlist.images} size={64} alt="" class="smart-cover" />
        <span class="smart-text">
          <span class="card-title">{playlist.name}</span>
          <span class="card-sub">{`${count} ${count === 1 ? 'song' : 'songs'} · ${summary(playlist.rules)}`}</span>
        </span>
      </a>
      <button type="button" class="icon-button" aria-label={`Play ${playlist.name}`} title="Play" onClick={() => void play()}>
        <PlayIcon size={20} />
      </button>
      <a class="button button-outline button-small" href={`/smart/${encodeURIComponent(playlist.id)}`}
        aria-label={`Edit rules of ${playlist.name}`}>Edit rules</a>
    </li>
  );
}

export default function SmartPlaylists() {
  useTitle('Smart playlists');
  const list = usePaged('smart-playlists', (offset, signal) => getSmartPlaylists(offset, PAGE, signal));
  const [importError, setImportError] = useState<string | null>(null);
  return (
    <div class="page smart-page">
      <div class="page-head">
        <h1>Smart playlists</h1>
        <div class="button-row">
          <a class="button" href="/smart/new">New smart playlist</a>
          <ImportButton setError={setImportError} />
        </div>
      </div>
      {importError && <p class="form-error" role="alert">{importError}</p>}
      <p class="muted">Playlists that fill themselves from rules (genre, year, tempo, what you play and save…) and stay current as your library and listening change.</p>
      {list.items.length > 0 && (
        <ul class="smart-list" aria-label="Your smart playlists">
          {list.items.map((p) => <SmartCard key={p.id} playlist={p} />)}
        </ul>
      )}
      {list.items.length === 0 && list.busy && <Loading />}
      {list.items.length === 0 && !list.busy && !list.error && !list.hasMore && (
        <p class="muted">No smart playlists yet.</p>
      )}
      {list.error != null && <ErrorMessage error={list.error} onRetry={list.loadMore} />}
      {list.items.length > 0 && list.hasMore && !list.error && <LoadMore onLoad={list.loadMore} busy={list.busy} />}
    </div>
  );
}
