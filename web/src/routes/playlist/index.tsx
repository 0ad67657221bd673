// A playlist: cover (or a mosaic), name, owner, description, count and length; Play; the items
// with Play / Remove / Move up / Move down and drag and drop; for the owner, details editing,
// invites and collaborators, and "Recommended songs" with Add; "Go to radio"; the version history
// with Restore. Changes by others show live.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { toPlayerTrack } from '../../api/convert';
import { describeError } from '../../api/errors';
import { getPlaylistRecommendations } from '../../api/radio';
import {
  addToPlaylist, canEdit, createInvite, getCollaborators, getMyself, getVersions, removeCollaborator, type Invite, type Playlist,
} from '../../api/playlists';
import type { User } from '../../api/types';
import { usePlayer } from '../../player';
import { useTitle } from '../../app/useTitle';
import { formatTotal } from '../../components/format';
import { GoToRadio } from '../../components/GoToRadio';
import { PlayIcon, PlusIcon } from '../../components/Icons';
import { ErrorMessage, Loading } from '../../components/LoadState';
import { PlaylistCover } from '../../components/PlaylistCover';
import { Section } from '../../components/Section';
import { TrackList, type ListTrack } from '../../components/TrackList';
import { useAsync } from '../../components/useAsync';
import { mosaicImages, playlistDuration } from './order';
import { usePlaylist, type Entry, type PlaylistModel } from './usePlaylist';

export default function PlaylistPage({ id }: { id: string }) {
  const model = usePlaylist(id);
  const me = useAsync(() => getMyself(), []);
  useTitle(model.playlist?.name ?? 'Playlist');
  if (model.status === 'loading') return <div class="page"><Loading /></div>;
  if (model.status === 'error' || !model.playlist) return <div class="page"><ErrorMessage error={model.error} onRetry={model.retry} /></div>;
  return <PlaylistView model={model} playlist={model.playlist} me={me.status === 'ready' ? me.data : null} />;
}

const who = (user: { id: string; display_name: string | null } | null | undefined) => user ? user.display_name || user.id : 'Someone';

function PlaylistView({ model, playlist, me }: { model: PlaylistModel; playlist: Playlist; me: User | null }) {
  const player = usePlayer();
  const isOwner = me !== null && playlist.owner.id === me.id;
  const editable = canEdit(playlist, me?.id ?? null);
  const contextUri = `segue:playlist:${playlist.id}`;
  const visible = useMemo(() => model.entries.filter((e) => e.item.track), [model.entries]);
  const tracks = useMemo<ListTrack[]>(() => visible.map((e) => toPlayerTrack(e.item.track!)), [visible]);
  const mosaic = useMemo(() => mosaicImages(model.entries.map((e) => e.item)), [model.entries]);
  const total = playlistDuration(model.entries.map((e) => e.item));

  return (
    <div class="page playlist-page" data-snapshot={model.snapshot} data-live={model.live ? 'true' : 'false'}>
      <header class="hero">
        <PlaylistCover images={playlist.images} mosaic={mosaic} size={232} alt={`Cover of ${playlist.name}`} class="hero-cover" eager />
        <div class="hero-text">
          <p class="hero-kind">{playlist.collaborative ? 'Collaborative playlist' : 'Playlist'}</p>
          <h1 class="hero-title">{playlist.name}</h1>
          {playlist.description && <p class="hero-description">{playlist.description}</p>}
          <p class="hero-meta">
            <span class="hero-artists">{who(playlist.owner)}</span>
            <span> · {formatTotal(tracks.length, total)}</span>
          </p>
        </div>
      </header>
      <div class="action-bar playlist-actions">
        <button
          type="button"
          class="play-button"
          aria-label="Play playlist"
          disabled={tracks.length === 0}
          onClick={() => player.playTracks(tracks, 0, contextUri, playlist.name)}
        >
          <PlayIcon size={28} />
        </button>
        {tracks.length > 0 && <GoToRadio uri={contextUri} name={playlist.name} />}
        {isOwner && <DetailsEditor model={model} playlist={playlist} />}
        {isOwner && <InviteButton playlistId={playlist.id} onInvited={model.refresh} />}
        <span class="muted live-note">{model.live ? 'Live' : 'Checks for changes every 10 s'}</span>
      </div>
      {model.editError && <div class="error-message" role="alert"><p>{model.editError}</p></div>}
      {tracks.length === 0
        ? <p class="muted empty-playlist">This playlist is empty. Add tracks with “Add to playlist” on any album.</p>
        : <Items model={model} visible={visible} tracks={tracks} editable={editable} contextUri={contextUri} name={playlist.name} />}
      {isOwner && tracks.length > 0 && <RecommendedSongs model={model} playlistId={playlist.id} snapshot={model.snapshot} />}
      <Collaborators playlist={playlist} snapshot={model.snapshot} isOwner={isOwner} />
      <History model={model} editable={editable} />
    </div>
  );
}

function Items({ model, visible, tracks, editable, contextUri, name }: {
  model: PlaylistModel; visible: Entry[]; tracks: ListTrack[]; editable: boolean; contextUri: string; name: string;
}) {
  const [dragging, setDragging] = useState<string | null>(null);
  const [over, setOver] = useState<string | null>(null);
  const focusAfter = useRef<string | null>(null);
  const list = useRef<HTMLDivElement>(null);

  // Keep the keyboard focus on the moved row's button.
  useEffect(() => {
    const label = focusAfter.current;
    if (!label) return;
    focusAfter.current = null;
    const button = [...(list.current?.querySelectorAll<HTMLButtonElement>('button') ?? [])].find((b) => b.getAttribute('aria-label') === label);
    if (button && document.activeElement !== button) button.focus();
  }, [visible]);

  const step = (i: number, delta: -1 | 1, label: string) => {
    const target = visible[i + delta];
    if (!target) return;
    focusAfter.current = label;
    model.move(visible[i].key, target.key);
  };

  const extras = editable ? (track: ListTrack, i: number) => {
    const up = `Move ${track.name} up`;
    const down = `Move ${track.name} down`;
    return (
      <>
        <button type="button" class="icon-button" aria-label={up} title="Move up" aria-disabled={i === 0 ? 'true' : undefined}
          onClick={(e) => { e.stopPropagation(); step(i, -1, up); }}>
          <span aria-hidden="true">↑</span>
        </button>
        <button type="button" class="icon-button" aria-label={down} title="Move down" aria-disabled={i === visible.length - 1 ? 'true' : undefined}
          onClick={(e) => { e.stopPropagation(); step(i, 1, down); }}>
          <span aria-hidden="true">↓</span>
        </button>
        <button type="button" class="icon-button" aria-label={`Remove ${track.name} from playlist`} title="Remove from playlist"
          onClick={(e) => { e.stopPropagation(); model.remove(visible[i].key); }}>
          <span aria-hidden="true">✕</span>
        </button>
      </>
    );
  } : undefined;

  const rowProps = editable ? (_track: ListTrack, i: number) => {
    const key = visible[i].key;
    return {
      draggable: true,
      'data-key': key,
      'data-drop': over === key && dragging !== key ? 'true' : undefined,
      onDragStart: (e: DragEvent) => {
        setDragging(key);
        e.dataTransfer?.setData('text/plain', key);
        if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move';
      },
      onDragOver: (e: DragEvent) => {
        if (!dragging) return;
        e.preventDefault();
        if (e.dataTransfer) e.dataTransfer.dropEffect = 'move';
        if (over !== key) setOver(key);
      },
      onDrop: (e: DragEvent) => {
        e.preventDefault();
        const from = dragging ?? e.dataTransfer?.getData('text/plain');
        setDragging(null);
        setOver(null);
        if (from && from !== key) model.move(from, key);
      },
      onDragEnd: () => {
        setDragging(null);
        setOver(null);
      },
    };
  } : undefined;

  return (
    <div ref={list} class={editable ? 'playlist-items is-editable' : 'playlist-items'}>
      <TrackList
        tracks={tracks}
        label="Playlist tracks"
        contextUri={contextUri}
        contextName={name}
        showCover
        showAlbum
        rowKey={(_t, i) => visible[i].key}
        rowExtras={extras}
        rowProps={rowProps}
      />
      {editable && <p class="muted small-print">Drag tracks to reorder them, or use the arrow buttons.</p>}
    </div>
  );
}

/** "Recommended songs": tracks like the playlist's (none of them), each with an Add button. */
function RecommendedSongs({ model, playlistId, snapshot }: { model: PlaylistModel; playlistId: string; snapshot: string }) {
  const recs = useAsync(
    (signal) => getPlaylistRecommendations(playlistId, 10, signal).then((r) => r.tracks.map((t) => toPlayerTrack(t))),
    [playlistId, snapshot],
  );
  const [adding, setAdding] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const add = async (track: ListTrack) => {
    setAdding(track.id);
    setError(null);
    try {
      await addToPlaylist(playlistId, [track.uri]);
      await model.refresh();
    } catch (cause) {
      setError(`Could not add ${track.name}: ${describeError(cause)}`);
    } finally {
      setAdding(null);
    }
  };
  const extras = (track: ListTrack) => (
    <button type="button" class="button button-outline button-small add-recommended" aria-label={`Add ${track.name} to this playlist`} title="Add to playlist"
      disabled={adding !== null} onClick={(e) => { e.stopPropagation(); void add(track); }}>
      <PlusIcon size={16} /><span>Add</span>
    </button>
  );
  return (
    <Section title="Recommended songs" class="recommended-songs">
      <p class="muted small-print">Based on what is in this playlist.</p>
      {error && <div class="error-message" role="alert"><p>{error}</p></div>}
      {recs.status === 'loading' && <Loading />}
      {recs.status === 'error' && <ErrorMessage error={recs.error} onRetry={recs.reload} />}
      {recs.status === 'ready' && (recs.data.length
        ? <TrackList tracks={recs.data} label="Recommended songs" showCover showAlbum rowExtras={extras} />
        : <p class="muted">No recommendations yet.</p>)}
    </Section>
  );
}

function DetailsEditor({ model, playlist }: { model: PlaylistModel; playlist: Playlist }) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(playlist.name);
  const [description, setDescription] = useState(playlist.description ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  if (!editing) {
    return (
      <button type="button" class="button button-outline button-small" onClick={() => {
        setName(playlist.name);
        setDescription(playlist.description ?? '');
        setError(null);
        setEditing(true);
      }}>
        Edit details
      </button>
    );
  }
  const onSubmit = async (event: Event) => {
    event.preventDefault();
    if (!name.trim()) {
      setError('Give the playlist a name.');
      return;
    }
    setBusy(true);
    try {
      await model.saveDetails({ name: name.trim(), description: description.trim() });
      setEditing(false);
    } catch {
      setError('The details were not saved; see the message above.');
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="details-form" onSubmit={onSubmit} aria-label="Playlist details">
      <label class="field">
        <span>Name</span>
        <input type="text" value={name} maxLength={100} onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
      </label>
      <label class="field">
        <span>Description</span>
        <textarea rows={2} maxLength={300} value={description}
          onInput={(e) => setDescription((e.currentTarget as HTMLTextAreaElement).value)} />
      </label>
      {error && <p class="form-error" role="alert">{error}</p>}
      <div class="button-row">
        <button type="submit" class="button button-small" disabled={busy}>{busy ? 'Saving…' : 'Save details'}</button>
        <button type="button" class="button button-secondary button-small" onClick={() => setEditing(false)}>Cancel</button>
      </div>
    </form>
  );
}

async function copyText(text: string, input: HTMLInputElement | null): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Fall back to selecting the text.
  }
  if (!input) return false;
  input.focus();
  input.select();
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  }
}

function InviteButton({ playlistId, onInvited }: { playlistId: string; onInvited: () => void }) {
  const [invite, setInvite] = useState<Invite | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState('');
  const input = useRef<HTMLInputElement>(null);

  const onInvite = async () => {
    setBusy(true);
    setError(null);
    try {
      setInvite(await createInvite(playlistId));
      onInvited(); // the playlist may have become collaborative
    } catch (cause) {
      setError(`Could not create an invite link: ${describeError(cause)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="invite">
      <button type="button" class="button button-outline button-small" onClick={onInvite} disabled={busy}>
        {busy ? 'Creating link…' : 'Invite collaborators'}
      </button>
      {error && <p class="form-error" role="alert">{error}</p>}
      {invite && (
        <div class="invite-link">
          <label class="field">
            <span>Invite link ({invite.max_uses === 1 ? 'for one person, ' : ''}valid until {new Date(invite.expires_at).toLocaleDateString()})</span>
            <input ref={input} type="text" readOnly value={invite.url} onFocus={(e) => (e.currentTarget as HTMLInputElement).select()} />
          </label>
          <button type="button" class="button button-small" aria-label="Copy invite link" onClick={async () => {
            setCopied((await copyText(invite.url, input.current)) ? 'Copied.' : 'Select the link and copy it.');
          }}>
            Copy
          </button>
          <span role="status" class="muted">{copied}</span>
        </div>
      )}
    </div>
  );
}

function Collaborators({ playlist, snapshot, isOwner }: { playlist: Playlist; snapshot: string; isOwner: boolean }) {
  const [round, setRound] = useState(0);
  const state = useAsync((signal) => getCollaborators(playlist.id, signal), [playlist.id, snapshot, playlist.collaborative, round]);
  const [error, setError] = useState<string | null>(null);
  if (state.status !== 'ready' || (state.data.items.length === 0 && !playlist.collaborative)) {
    return state.status === 'error' && playlist.collaborative ? <ErrorMessage error={state.error} onRetry={state.reload} /> : null;
  }
  return (
    <Section title="Collaborators" class="collaborators">
      {error && <p class="form-error" role="alert">{error}</p>}
      <ul class="people">
        <li><span>{who(playlist.owner)}</span> <span class="muted">owner</span></li>
        {state.data.items.map((user) => (
          <li key={user.id}>
            <span>{user.display_name || user.id}</span>
            {isOwner && (
              <button type="button" class="button button-secondary button-small" aria-label={`Remove ${user.display_name || user.id} from collaborators`}
                onClick={async () => {
                  try {
                    await removeCollaborator(playlist.id, user.id);
                    setRound((r) => r + 1);
                  } catch (cause) {
                    setError(`Could not remove the collaborator: ${describeError(cause)}`);
                  }
                }}>
                Remove
              </button>
            )}
          </li>
        ))}
      </ul>
      {state.data.items.length === 0 && <p class="muted">Nobody has joined yet.</p>}
    </Section>
  );
}

function History({ model, editable }: { model: PlaylistModel; editable: boolean }) {
  const [open, setOpen] = useState(false);
  return (
    <section class="section history" aria-labelledby="history-heading">
      <div class="section-head">
        <h2 id="history-heading">
          <button type="button" class="disclosure" aria-expanded={open ? 'true' : 'false'} aria-controls="history-panel"
            onClick={() => setOpen(!open)}>
            Version history
          </button>
        </h2>
      </div>
      <div id="history-panel" hidden={!open}>
        {open && <Versions model={model} editable={editable} />}
      </div>
    </section>
  );
}

function Versions({ model, editable }: { model: PlaylistModel; editable: boolean }) {
  const id = model.playlist!.id;
  const state = useAsync((signal) => getVersions(id, signal), [id, model.snapshot]);
  const [busy, setBusy] = useState<string | null>(null);
  if (state.status === 'loading') return <Loading label="Loading the history…" />;
  if (state.status === 'error') return <ErrorMessage error={state.error} onRetry={state.reload} />;
  const versions = state.data.items;
  return (
    <ol class="versions" aria-label="Versions">
      {versions.map((v, i) => (
        <li key={v.snapshot_id} class="version">
          <span class="version-text">
            {v.summary || `Version ${v.version}`} — {who(v.changed_by)} — <time dateTime={v.changed_at}>{formatWhen(v.changed_at)}</time>
          </span>
          {i === 0 ? <span class="muted">Current</span> : editable && (
            <button type="button" class="button button-secondary button-small" aria-label={`Restore version ${v.version}`}
              disabled={busy !== null}
              onClick={async () => {
                setBusy(v.snapshot_id);
                await model.restore(v.snapshot_id);
                setBusy(null);
              }}>
              {busy === v.snapshot_id ? 'Restoring…' : 'Restore'}
            </button>
          )}
        </li>
      ))}
    </ol>
  );
}

function formatWhen(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const seconds = (Date.now() - date.getTime()) / 1000;
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  return date.toLocaleString();
}
