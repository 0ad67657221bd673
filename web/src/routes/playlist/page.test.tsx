// The playlist page against a fake server and a fake realtime client: it shows the items, sends
// the snapshot it showed with a move, refetches on a playlist_updated with another snapshot only.
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PlayerContext } from '../../player';
import type { Player, PlayerState } from '../../player/types';
import type { RealtimeMessage } from '../../api/realtime';

const handlers = new Map<string, (m: RealtimeMessage) => void>();
vi.mock('../../api/realtime', () => ({
  getRealtime: () => ({
    live: true,
    isLive: () => true,
    onStatus: () => () => undefined,
    subscribe: (topic: string, handler: (m: RealtimeMessage) => void) => {
      handlers.set(topic, handler);
      return () => handlers.delete(topic);
    },
  }),
}));

const { default: PlaylistPage } = await import('./index');
const { forgetMyself } = await import('../../api/playlists');

const idle: PlayerState = {
  status: 'idle', track: null, positionMs: 0, durationMs: 0, volume: 1, shuffle: false, repeat: 'off',
  queue: { current: null, upNext: [], queued: 0, keys: [], contextUri: null, contextName: null }, error: null,
};
const player = {
  playTracks: vi.fn(), addToQueue: vi.fn(), subscribe: () => () => undefined, getState: () => idle,
} as unknown as Player;

const track = (n: number) => ({
  id: `t${n}`, uri: `segue:track:t${n}`, name: `Song ${n}`, duration_ms: 60_000, track_number: n, disc_number: 1,
  artists: [{ id: 'a', name: 'Artist', uri: 'segue:artist:a' }],
  album: { id: 'al', name: 'Album', uri: 'segue:album:al', images: [], artists: [] },
});

function json(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

let server: { snapshot: string; order: number[] };
let calls: { method: string; url: string; body: unknown }[];

function playlistBody() {
  const items = server.order.map((n) => ({ added_at: null, added_by: null, is_local: false, track: track(n) }));
  return {
    id: 'p1', name: 'Mix', description: '', public: false, collaborative: true, uri: 'segue:playlist:p1',
    owner: { id: 'me', display_name: 'Me' }, snapshot_id: server.snapshot, images: [],
    tracks: { items, total: items.length, limit: 100, offset: 0, next: null },
  };
}

const settle = () => act(async () => { for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 0)); });
const names = (root: HTMLElement) => [...root.querySelectorAll('.track-name')].map((e) => e.textContent);

describe('playlist page', () => {
  let root: HTMLElement;
  beforeEach(() => {
    root = document.createElement('div');
    document.body.append(root);
    forgetMyself();
    server = { snapshot: 's1', order: [1, 2, 3] };
    calls = [];
    localStorage.setItem('segue.tokens', JSON.stringify({
      accessToken: 'a', refreshToken: 'r', expiresAt: Date.now() + 3_600_000, lifetimeMs: 3_600_000, scope: '', clientId: 'c',
    }));
    vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit) => {
      const method = init.method ?? 'GET';
      const body = init.body ? JSON.parse(init.body as string) : undefined;
      calls.push({ method, url, body });
      if (url === '/v1/me') return json({ id: 'me', display_name: 'Me' });
      if (url === '/v1/playlists/p1' && method === 'GET') return json(playlistBody());
      if (url === '/v1/playlists/p1/tracks' && method === 'PUT') {
        const from = body.range_start;
        const moved = server.order.splice(from, 1)[0];
        server.order.splice(body.insert_before > from ? body.insert_before - 1 : body.insert_before, 0, moved);
        server.snapshot = 's2';
        return json({ snapshot_id: 's2' });
      }
      if (url.startsWith('/v1/playlists/p1/collaborators')) return json({ items: [] });
      return json({ error: { status: 404, message: 'Not found' } }, 404);
    }));
  });
  afterEach(() => {
    render(null, root);
    root.remove();
    localStorage.clear();
    vi.unstubAllGlobals();
  });

  async function show() {
    act(() => {
      render(<PlayerContext.Provider value={player}><PlaylistPage id="p1" /></PlayerContext.Provider>, root);
    });
    await settle();
  }

  it('shows the items with their total and plays the playlist as a context', async () => {
    await show();
    expect(root.querySelector('h1')?.textContent).toBe('Mix');
    expect(names(root)).toEqual(['Song 1', 'Song 2', 'Song 3']);
    expect(root.textContent).toContain('3 songs, 3 min');
    act(() => (root.querySelector('[aria-label="Play playlist"]') as HTMLButtonElement).click());
    expect(player.playTracks).toHaveBeenCalledWith(expect.any(Array), 0, 'segue:playlist:p1', 'Mix');
  });

  it('moves a track up at once and sends the snapshot it showed', async () => {
    await show();
    act(() => (root.querySelector('[aria-label="Move Song 3 up"]') as HTMLButtonElement).click());
    expect(names(root)).toEqual(['Song 1', 'Song 3', 'Song 2']);
    await settle();
    const put = calls.find((c) => c.method === 'PUT')!;
    expect(put.body).toEqual({ range_start: 2, insert_before: 1, range_length: 1, snapshot_id: 's1' });
    expect(names(root)).toEqual(['Song 1', 'Song 3', 'Song 2']);
    expect(root.querySelector('.playlist-page')?.getAttribute('data-snapshot')).toBe('s2');
  });

  it('refetches on playlist_updated with another snapshot, not with its own', async () => {
    await show();
    const gets = () => calls.filter((c) => c.method === 'GET' && c.url === '/v1/playlists/p1').length;
    const before = gets();
    await act(async () => handlers.get('playlist:p1')!({ type: 'playlist_updated', playlist_id: 'p1', snapshot_id: 's1' }));
    await settle();
    expect(gets()).toBe(before);
    server = { snapshot: 's9', order: [3, 1] };
    await act(async () => handlers.get('playlist:p1')!({ type: 'playlist_updated', playlist_id: 'p1', snapshot_id: 's9' }));
    await settle();
    expect(gets()).toBe(before + 1);
    expect(names(root)).toEqual(['Song 3', 'Song 1']);
  });
});
