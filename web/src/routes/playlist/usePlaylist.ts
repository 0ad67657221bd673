// The playlist page's data: the playlist, its items at a known snapshot_id, live updates (the
// realtime socket, or polling every 10 s while the page is visible when there is none) and
// edits. Edits show at once and go to the server one at a time, each naming the snapshot_id of
// the list it was resolved against; the list is fetched again after each, so what the page
// shows and the snapshot it sends always belong together.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { describeError, isAbortError } from '../../api/errors';
import {
  getPlaylist, loadAllItems, removeFromPlaylist, reorderPlaylist, restoreVersion, updatePlaylist,
  type Playlist, type PlaylistItem,
} from '../../api/playlists';
import { getRealtime } from '../../api/realtime';
import { applyMove, dropOnto, type Move } from './order';

export interface Entry {
  /** Stable while the list changes: the track's URI and which occurrence of it this is. */
  key: string;
  item: PlaylistItem;
}

export const POLL_MS = 10_000;

/** Keys for a fetched list: "<uri>#<n>" for the n-th occurrence of the same track. */
export function keyEntries(items: readonly PlaylistItem[]): Entry[] {
  const seen = new Map<string, number>();
  return items.map((item) => {
    const uri = item.track?.uri ?? 'removed';
    const n = seen.get(uri) ?? 0;
    seen.set(uri, n + 1);
    return { key: `${uri}#${n}`, item };
  });
}

type Edit =
  | { kind: 'move'; key: string; target: string }
  | { kind: 'remove'; key: string }
  | { kind: 'restore'; snapshot: string }
  | { kind: 'details'; details: { name?: string; description?: string } };

export interface PlaylistModel {
  status: 'loading' | 'error' | 'ready';
  error: unknown;
  playlist: Playlist | null;
  entries: Entry[];
  snapshot: string;
  live: boolean;
  /** An edit that failed, in words. */
  editError: string | null;
  retry(): void;
  refresh(): Promise<void>;
  move(key: string, target: string): void;
  remove(key: string): void;
  restore(snapshot: string): Promise<void>;
  saveDetails(details: { name?: string; description?: string }): Promise<void>;
}

export function usePlaylist(id: string): PlaylistModel {
  const [status, setStatus] = useState<'loading' | 'error' | 'ready'>('loading');
  const [error, setError] = useState<unknown>(null);
  const [playlist, setPlaylist] = useState<Playlist | null>(null);
  const [entries, setEntries] = useState<Entry[]>([]);
  const [snapshot, setSnapshot] = useState('');
  const topic = `playlist:${id}`;
  const [live, setLive] = useState(() => getRealtime().isLive(topic));
  const [editError, setEditError] = useState<string | null>(null);
  const [round, setRound] = useState(0);

  // What the server last said (entries and snapshot belong together); `shown` may be ahead of it
  // with edits still on their way.
  const confirmed = useRef<{ entries: Entry[]; snapshot: string }>({ entries: [], snapshot: '' });
  const shown = useRef<Entry[]>([]);
  const queue = useRef<{ edit: Edit; done: (ok: boolean) => void }[]>([]);
  const running = useRef(false);
  const fetchSeq = useRef(0);
  const alive = useRef(new AbortController());

  const show = (next: Entry[]) => {
    shown.current = next;
    setEntries(next);
  };

  /**
   * Fetches the playlist; the items too when the snapshot changed (or `force`). A fetch that a
   * later one overtakes waits for that one instead, so its caller always sees the newest list.
   */
  const latestFetch = useRef<Promise<void>>(Promise.resolve());
  const fetchLatest = useCallback((force = false): Promise<void> => {
    const seq = ++fetchSeq.current;
    const signal = alive.current.signal;
    const run = async (): Promise<void> => {
      const next = await getPlaylist(id, signal);
      if (seq !== fetchSeq.current) return latestFetch.current;
      if (signal.aborted) return;
      setPlaylist(next);
      if (!force && next.snapshot_id === confirmed.current.snapshot) return;
      const items = await loadAllItems(id, signal, next.tracks);
      if (seq !== fetchSeq.current) return latestFetch.current;
      if (signal.aborted) return;
      confirmed.current = { entries: keyEntries(items), snapshot: next.snapshot_id };
      setSnapshot(next.snapshot_id);
      if (!running.current) show(confirmed.current.entries);
    };
    const promise = run();
    latestFetch.current = promise;
    return promise;
  }, [id]);

  const refresh = useCallback(() => fetchLatest().catch((cause) => {
    if (!isAbortError(cause)) console.warn('playlist refresh failed', cause);
  }), [fetchLatest]);

  // The first load.
  useEffect(() => {
    alive.current = new AbortController();
    confirmed.current = { entries: [], snapshot: '' };
    queue.current = [];
    setStatus('loading');
    fetchLatest(true).then(() => {
      if (!alive.current.signal.aborted) setStatus('ready');
    }, (cause) => {
      if (alive.current.signal.aborted || isAbortError(cause)) return;
      setError(cause);
      setStatus('error');
    });
    return () => alive.current.abort();
  }, [id, round, fetchLatest]);

  // Live updates: refetch when the server's snapshot differs from the page's.
  useEffect(() => {
    const realtime = getRealtime();
    let wasLive = realtime.isLive(topic);
    const stopStatus = realtime.onStatus(() => {
      const isLive = realtime.isLive(topic);
      setLive(isLive);
      if (isLive && !wasLive) refresh(); // catch up on what happened while the socket was down
      wasLive = isLive;
    });
    const unsubscribe = realtime.subscribe(topic, (message) => {
      // "subscribed" may say the server's snapshot; playlist_updated always does.
      if (message.type === 'subscribed' && typeof message.snapshot_id === 'string' && confirmed.current.snapshot &&
          message.snapshot_id !== confirmed.current.snapshot) {
        refresh();
        return;
      }
      if (message.type !== 'playlist_updated') return;
      if (message.snapshot_id !== confirmed.current.snapshot || typeof message.snapshot_id !== 'string') refresh();
    }, () => confirmed.current.snapshot || undefined);
    setLive(realtime.isLive(topic));
    return () => {
      stopStatus();
      unsubscribe();
    };
  }, [topic, refresh]);

  // Without the socket: poll while the page is visible.
  useEffect(() => {
    if (live) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') refresh();
    }, POLL_MS);
    const onVisible = () => {
      if (document.visibilityState === 'visible') refresh();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [live, refresh]);

  /** Sends the queued edits one by one, each resolved against the confirmed list. */
  const drain = useCallback(async () => {
    if (running.current) return;
    running.current = true;
    try {
      while (queue.current.length > 0) {
        const { edit, done } = queue.current.shift()!;
        let ok = true;
        try {
          await send(id, edit, confirmed.current);
          setEditError(null);
        } catch (cause) {
          ok = false;
          setEditError(`${editFailure(edit)}: ${describeError(cause)}`);
        }
        try {
          await fetchLatest(true);
        } catch {
          // The next refresh (live or polled) catches up.
        }
        done(ok);
      }
    } finally {
      running.current = false;
      if (!alive.current.signal.aborted) show(confirmed.current.entries);
    }
  }, [id, fetchLatest]);

  const enqueue = useCallback((edit: Edit): Promise<boolean> => new Promise((done) => {
    queue.current.push({ edit, done });
    void drain();
  }), [drain]);

  const move = useCallback((key: string, target: string) => {
    const list = shown.current;
    const m = dropOnto(list.findIndex((e) => e.key === key), list.findIndex((e) => e.key === target));
    if (!m || m.range_start < 0 || m.insert_before < 0) return;
    show(applyMove(list, m));
    void enqueue({ kind: 'move', key, target });
  }, [enqueue]);

  const remove = useCallback((key: string) => {
    show(shown.current.filter((e) => e.key !== key));
    void enqueue({ kind: 'remove', key });
  }, [enqueue]);

  const restore = useCallback(async (snap: string) => {
    await enqueue({ kind: 'restore', snapshot: snap });
  }, [enqueue]);

  const saveDetails = useCallback(async (details: { name?: string; description?: string }) => {
    if (!(await enqueue({ kind: 'details', details }))) throw new Error('not saved');
  }, [enqueue]);

  return {
    status, error, playlist, entries, snapshot, live, editError,
    retry: () => setRound((r) => r + 1),
    refresh, move, remove, restore, saveDetails,
  };
}

function editFailure(edit: Edit): string {
  switch (edit.kind) {
    case 'move': return 'Could not move the track';
    case 'remove': return 'Could not remove the track';
    case 'restore': return 'Could not restore that version';
    case 'details': return 'Could not save the details';
  }
}

/** The request for one edit, with positions in the confirmed list and its snapshot. */
async function send(id: string, edit: Edit, base: { entries: Entry[]; snapshot: string }): Promise<void> {
  const at = (key: string) => base.entries.findIndex((e) => e.key === key);
  const snap = base.snapshot || undefined;
  if (edit.kind === 'move') {
    const m: Move | null = dropOnto(at(edit.key), at(edit.target));
    if (!m || m.range_start < 0 || m.insert_before < 0) return; // someone else removed one of them
    await reorderPlaylist(id, m, snap);
  } else if (edit.kind === 'remove') {
    const position = at(edit.key);
    const uri = base.entries[position]?.item.track?.uri;
    if (position < 0 || !uri) return;
    await removeFromPlaylist(id, uri, position, snap);
  } else if (edit.kind === 'restore') {
    await restoreVersion(id, edit.snapshot);
  } else {
    await updatePlaylist(id, edit.details);
  }
}
