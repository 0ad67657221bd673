// "Add <name> to playlist": a menu button listing the playlists the user may edit (owned or
// collaborative); choosing one adds the track at the end.
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { describeError } from '../api/errors';
import { addToPlaylist, getEditablePlaylists, type SimplifiedPlaylist } from '../api/playlists';
import { PlusIcon } from './Icons';
import { showNotice } from './notices';

interface Props {
  track: { name: string; uri: string };
  class?: string;
  /** Opens upwards (the player bar at the bottom of the screen). */
  up?: boolean;
}

export function AddToPlaylist({ track, class: className = '', up = false }: Props) {
  const [open, setOpen] = useState(false);
  const [playlists, setPlaylists] = useState<SimplifiedPlaylist[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [status, setStatus] = useState('');
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const menuId = useId();

  useEffect(() => {
    if (!open) return;
    const controller = new AbortController();
    setError(null);
    getEditablePlaylists(controller.signal).then((list) => {
      if (!controller.signal.aborted) setPlaylists(list);
    }, (cause) => {
      if (!controller.signal.aborted) setError(cause);
    });
    const onDown = (event: Event) => {
      if (!root.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', onDown);
    return () => {
      controller.abort();
      document.removeEventListener('pointerdown', onDown);
    };
  }, [open]);

  // Focus the first entry once the list is there.
  useEffect(() => {
    if (open && playlists) root.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
  }, [open, playlists]);

  const close = () => {
    setOpen(false);
    button.current?.focus();
  };

  const choose = async (playlist: SimplifiedPlaylist) => {
    close();
    try {
      await addToPlaylist(playlist.id, [track.uri]);
      setStatus(`Added ${track.name} to ${playlist.name}.`);
      setTimeout(() => setStatus(''), 4000);
    } catch (cause) {
      showNotice(`Could not add ${track.name} to ${playlist.name}: ${describeError(cause)}`);
    }
  };

  const onKeyDown = (event: KeyboardEvent) => {
    const items = [...(root.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
    const at = items.indexOf(document.activeElement as HTMLElement);
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      close();
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const next = items[(at + (event.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length];
      next?.focus();
    } else if (event.key === 'Tab') {
      setOpen(false);
    }
  };

  return (
    <div class={`menu-anchor ${className}`} ref={root} onKeyDown={open ? onKeyDown : undefined}>
      <button
        ref={button}
        type="button"
        class="icon-button"
        aria-label={`Add ${track.name} to playlist`}
        title="Add to playlist"
        aria-haspopup="menu"
        aria-expanded={open ? 'true' : 'false'}
        aria-controls={open ? menuId : undefined}
        onClick={(event) => {
          event.stopPropagation();
          setOpen(!open);
        }}
      >
        <PlusIcon size={18} />
      </button>
      {open && (
        <div class={`menu ${up ? 'menu-up' : ''}`} id={menuId}>
          {error != null && <p class="menu-note" role="alert">{describeError(error)}</p>}
          {!error && !playlists && <p class="menu-note" role="status">Loading playlists…</p>}
          {playlists && playlists.length === 0 && (
            <p class="menu-note">No playlists yet. <a href="/playlists">Create one</a>.</p>
          )}
          {playlists && playlists.length > 0 && (
            <ul role="menu" aria-label={`Add ${track.name} to`}>
              {playlists.map((p) => (
                <li key={p.id} role="none">
                  <button type="button" role="menuitem" class="menu-item" onClick={() => choose(p)}>{p.name}</button>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <span class="visually-hidden" role="status">{status}</span>
    </div>
  );
}
