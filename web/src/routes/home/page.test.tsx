// The home page against a fake server: the feed's shelves in the served order as lists of cards,
// one home_impression per page, a home_click before a track card's play or an album card's page,
// the local sections when the feed fails or is empty.
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PlayerContext } from '../../player';
import type { Player, PlayerState } from '../../player/types';

const { default: Home } = await import('./index');

const idle: PlayerState = {
  status: 'idle', track: null, positionMs: 0, durationMs: 0, volume: 1, shuffle: false, repeat: 'off',
  queue: { current: null, upNext: [], queued: 0, keys: [], contextUri: null, contextName: null }, error: null,
};
const calls: string[] = [];
const player = {
  playTracks: vi.fn(() => calls.push('play')), recordEvent: vi.fn(() => calls.push('event')),
  subscribe: () => () => undefined, getState: () => idle,
} as unknown as Player;

const artist = { id: 'ar1', name: 'Ash Harbor', uri: 'segue:artist:ar1', images: [] };
const album = { id: 'al1', name: 'Harbor Lights', uri: 'segue:album:al1', album_type: 'album', images: [], artists: [artist] };
const track = (n: number) => ({
  id: `t${n}`, uri: `segue:track:t${n}`, name: `Song ${n}`, duration_ms: 180_000, track_number: n, disc_number: 1, artists: [artist], album,
});
const feed = {
  impression_id: 'imp1', policy_version: '1', experiment_arm: 'bandit', generated_at: 1, cached: false,
  sections: [
    { id: 'because_you_listened:ar1', title: 'Because you listened to Ash Harbor', position: 0, propensity: 0.9,
      items: [{ type: 'track', track: track(1) }, { type: 'track', track: track(2) }] },
    { id: 'new_releases', title: 'New releases for you', position: 1, propensity: 0.1, items: [{ type: 'album', album }] },
  ],
};

function json(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

const settle = () => act(async () => { for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 0)); });

describe('home page', () => {
  let root: HTMLElement;
  let answer: () => Response;
  let urls: URL[];

  beforeEach(() => {
    root = document.createElement('div');
    document.body.append(root);
    calls.length = 0;
    urls = [];
    vi.mocked(player.playTracks).mockClear();
    vi.mocked(player.recordEvent).mockClear();
    answer = () => json(feed);
    localStorage.setItem('segue.tokens', JSON.stringify({
      accessToken: 'a', refreshToken: 'r', expiresAt: Date.now() + 3_600_000, lifetimeMs: 3_600_000, scope: '', clientId: 'c',
    }));
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      const parsed = new URL(url, 'http://x');
      urls.push(parsed);
      if (parsed.pathname === '/v1/me/home') return answer();
      if (parsed.pathname === '/v1/me/player/recently-played') return json({ items: [], limit: 50, next: null });
      if (parsed.pathname.startsWith('/v1/browse/')) return json({ albums: { items: [album], total: 1, limit: 12, offset: 0, next: null } });
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
    act(() => { render(<PlayerContext.Provider value={player}><Home /></PlayerContext.Provider>, root); });
    await settle();
  }
  const headings = () => [...root.querySelectorAll('h2')].map((h) => h.textContent);

  it('asks for the feed with the device and the minutes east of UTC', async () => {
    await show();
    const home = urls.find((u) => u.pathname === '/v1/me/home')!;
    expect(home.searchParams.get('utc_offset')).toBe(String(-new Date().getTimezoneOffset()));
    expect(home.searchParams.get('device')).toBe('Computer');
  });

  it('shows the shelves in the served order, each a named list under its heading', async () => {
    await show();
    expect(headings()).toEqual(['Because you listened to Ash Harbor', 'New releases for you']);
    const lists = [...root.querySelectorAll('ul')];
    expect(lists.map((l) => l.getAttribute('aria-label'))).toEqual(['Because you listened to Ash Harbor', 'New releases for you']);
    expect([...lists[0].querySelectorAll('button')].map((b) => b.textContent)).toEqual(['Play Song 1Ash Harbor', 'Play Song 2Ash Harbor']);
    expect(lists[1].querySelector('a')!.getAttribute('href')).toBe('/album/al1');
    expect(lists[1].querySelector('button')!.getAttribute('aria-label')).toBe('Play Harbor Lights');
  });

  it('logs one home_impression for the page, not one per render', async () => {
    await show();
    await show();
    const impressions = vi.mocked(player.recordEvent).mock.calls.map(([e]) => e).filter((e) => e.type === 'home_impression');
    expect(impressions).toEqual([{
      type: 'home_impression', section_ids: ['because_you_listened:ar1', 'new_releases'],
      item_uris: ['segue:track:t1', 'segue:track:t2', 'segue:album:al1'], timestamp: expect.any(Number),
    }]);
  });

  it('a track card logs its home_click, then plays the shelf from that track', async () => {
    await show();
    calls.length = 0;
    act(() => { root.querySelectorAll('ul')[0].querySelectorAll('button')[1].click(); });
    expect(vi.mocked(player.recordEvent).mock.calls.at(-1)![0]).toEqual({
      type: 'home_click', section: 'because_you_listened:ar1', item_uri: 'segue:track:t2', rank: 1, timestamp: expect.any(Number),
    });
    expect(calls).toEqual(['event', 'play']);
    const [tracks, start] = vi.mocked(player.playTracks).mock.calls[0];
    expect(tracks.map((t) => t.id)).toEqual(['t1', 't2']);
    expect(start).toBe(1);
  });

  it('an album card logs its home_click when opened', async () => {
    await show();
    const link = root.querySelectorAll('ul')[1].querySelector('a')!;
    link.addEventListener('click', (e) => e.preventDefault());
    act(() => { link.click(); });
    expect(vi.mocked(player.recordEvent).mock.calls.at(-1)![0]).toMatchObject({
      type: 'home_click', section: 'new_releases', item_uri: 'segue:album:al1', rank: 0,
    });
  });

  it('falls back to the local sections when the feed fails, and logs no impression', async () => {
    answer = () => json({ error: { status: 403, message: 'Insufficient scope' } }, 403);
    await show();
    expect(headings()).toEqual(['Recently played', 'Recently added', 'New releases']);
    expect(player.recordEvent).not.toHaveBeenCalled();
  });

  it('falls back when the feed has no shelves', async () => {
    answer = () => json({ ...feed, sections: [] });
    await show();
    expect(headings()).toEqual(['Recently played', 'Recently added', 'New releases']);
  });
});
