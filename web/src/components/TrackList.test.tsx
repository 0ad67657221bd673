// The track list's accessible names, what its Play buttons start, and its Save toggles.
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { forgetSaved, rememberSaved } from '../api/saved';
import { PlayerContext } from '../player';
import type { Player, PlayerState } from '../player/types';
import { TrackList, type ListTrack } from './TrackList';

const track = (n: number): ListTrack => ({
  id: `t${n}`, uri: `segue:track:t${n}`, name: `Song ${n}`, duration_ms: 61_000 * n, track_number: n, disc_number: 1,
  artists: [{ id: 'a1', name: 'Artist' }], album: { id: 'al', name: 'Album', images: [] },
});

const idle: PlayerState = {
  status: 'idle', track: null, positionMs: 0, durationMs: 0, volume: 1, shuffle: false, repeat: 'off',
  queue: { current: null, upNext: [], queued: 0, keys: [], contextUri: null, contextName: null }, error: null,
};

function fakePlayer(): Player {
  return {
    playTracks: vi.fn(), toggle: vi.fn(), play: vi.fn(), pause: vi.fn(), next: vi.fn(), previous: vi.fn(), seek: vi.fn(),
    setVolume: vi.fn(), toggleShuffle: vi.fn(), cycleRepeat: vi.fn(), addToQueue: vi.fn(), moveInQueue: vi.fn(),
    removeFromQueue: vi.fn(), playFromQueue: vi.fn(), retry: vi.fn(), destroy: vi.fn(), appendToContext: vi.fn(), recordEvent: vi.fn(),
    subscribe: () => () => undefined, getState: () => idle,
  };
}

const button = (root: HTMLElement, name: string) => {
  const found = [...root.querySelectorAll('button')].find((b) => b.getAttribute('aria-label') === name);
  if (!found) throw new Error(`no button ${name}`);
  return found;
};

describe('TrackList', () => {
  let root: HTMLElement;
  let player: Player;
  const context = [track(1), track(2), track(3), track(4)];

  beforeEach(() => {
    root = document.createElement('div');
    document.body.append(root);
    player = fakePlayer();
    forgetSaved();
    rememberSaved('tracks', ['t3'], true);
    rememberSaved('tracks', ['t4'], false);
    localStorage.setItem('segue.tokens', JSON.stringify({
      accessToken: 'a', refreshToken: 'r', expiresAt: Date.now() + 3_600_000, lifetimeMs: 3_600_000, scope: '', clientId: 'c',
    }));
  });
  afterEach(() => {
    render(null, root);
    root.remove();
    localStorage.clear();
    vi.unstubAllGlobals();
  });

  function show() {
    act(() => {
      render(
        <PlayerContext.Provider value={player}>
          <TrackList tracks={context.slice(2)} context={context} indexOffset={2} contextUri="segue:album:al"
            contextName="Album" label="Disc 2" numbering="track" />
        </PlayerContext.Provider>,
        root,
      );
    });
  }

  it('names each row\'s buttons after the track and shows m:ss durations', () => {
    show();
    expect(root.querySelectorAll('li')).toHaveLength(2);
    expect(button(root, 'Play Song 3')).toBeTruthy();
    expect(button(root, 'Save Song 3').getAttribute('aria-pressed')).toBe('true');
    expect(button(root, 'Save Song 4').getAttribute('aria-pressed')).toBe('false');
    expect(root.textContent).toContain('3:03');
  });

  it('plays the whole context from the chosen track', () => {
    show();
    act(() => button(root, 'Play Song 4').click());
    expect(player.playTracks).toHaveBeenCalledWith(context, 3, 'segue:album:al', 'Album');
  });

  it('saves a track and flips the toggle', async () => {
    const fetchMock = vi.fn(async () => new Response(null, { status: 200 }));
    vi.stubGlobal('fetch', fetchMock);
    show();
    await act(async () => {
      button(root, 'Save Song 4').click();
      await new Promise((resolve) => setTimeout(resolve, 0));
    });
    expect(button(root, 'Save Song 4').getAttribute('aria-pressed')).toBe('true');
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/v1/me/tracks');
    expect(init.method).toBe('PUT');
    expect(init.body).toBe('{"ids":["t4"]}');
  });

  it('puts the toggle back when the server refuses', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ error: { status: 403, message: 'No' } }), { status: 403 })));
    show();
    await act(async () => {
      button(root, 'Save Song 3').click();
      await new Promise((resolve) => setTimeout(resolve, 0));
    });
    expect(button(root, 'Save Song 3').getAttribute('aria-pressed')).toBe('true');
  });
});
