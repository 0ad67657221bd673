// The bar, the queue view and the keyboard shortcuts against a fake Player.
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PlayerContext } from './context';
import { installKeyboardShortcuts } from './keyboard';
import type { Player, PlayerState, PlayerTrack } from './types';
import { PlayerBar } from './ui/PlayerBar';
import { QueueView } from './ui/QueueView';

function track(n: number): PlayerTrack {
  return {
    id: `t${n}`, uri: `segue:track:t${n}`, name: `Track ${n}`, duration_ms: 200_000 + n * 1000,
    artists: [{ id: 'a1', name: 'Artist One' }, { id: 'a2', name: 'Artist Two' }],
    album: { id: 'al1', name: 'Album', images: [{ url: '/images/big', width: 640, height: 640 }, { url: '/images/small', width: 64, height: 64 }] },
  };
}

function baseState(): PlayerState {
  return {
    status: 'playing', track: track(0), positionMs: 83_500, durationMs: 200_000, volume: 0.5, shuffle: true, repeat: 'off',
    queue: { current: track(0), upNext: [track(9), track(1), track(2)], queued: 1, keys: ['q1', 'c1', 'c2'], contextUri: 'segue:album:al1', contextName: 'Album' },
    error: null,
  };
}

type FakePlayer = Player & { set(patch: Partial<PlayerState>): void };

function fakePlayer(): FakePlayer {
  let state = baseState();
  const listeners = new Set<() => void>();
  return {
    playTracks: vi.fn(), toggle: vi.fn(), play: vi.fn(), pause: vi.fn(), next: vi.fn(), previous: vi.fn(), seek: vi.fn(),
    setVolume: vi.fn(), toggleShuffle: vi.fn(), cycleRepeat: vi.fn(), addToQueue: vi.fn(), moveInQueue: vi.fn(),
    removeFromQueue: vi.fn(), playFromQueue: vi.fn(), retry: vi.fn(), destroy: vi.fn(), appendToContext: vi.fn(), recordEvent: vi.fn(),
    subscribe: (l: () => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    getState: () => state,
    set(patch: Partial<PlayerState>) {
      state = { ...state, ...patch };
      listeners.forEach((l) => l());
    },
  };
}

let root: HTMLElement;
let player: FakePlayer;

function mount(node: preact.ComponentChild) {
  act(() => render(<PlayerContext.Provider value={player}>{node}</PlayerContext.Provider>, root));
}

const button = (name: string) => {
  const b = [...root.querySelectorAll<HTMLElement>('button, a')].find((el) => el.getAttribute('aria-label') === name || (!el.getAttribute('aria-label') && el.textContent === name));
  if (!b) throw new Error(`no button or link named ${name}`);
  return b;
};
const slider = (name: string) => root.querySelector<HTMLInputElement>(`input[type="range"][aria-label="${name}"]`)!;

beforeEach(() => {
  root = document.createElement('div');
  document.body.appendChild(root);
  player = fakePlayer();
});

afterEach(() => {
  act(() => render(null, root));
  root.remove();
});

describe('PlayerBar', () => {
  it('is a region named Player with the controls the tests rely on', () => {
    mount(<PlayerBar />);
    const region = root.querySelector('section[aria-label="Player"]');
    expect(region).not.toBeNull();
    expect(root.querySelector('[data-testid="now-playing-title"]')?.textContent).toBe('Track 0');
    expect(button('Pause')).toBeTruthy();
    expect(button('Shuffle').getAttribute('aria-pressed')).toBe('true');
    expect(button('Repeat').getAttribute('aria-pressed')).toBe('false');
    expect(button('Queue').getAttribute('href')).toBe('/queue');
    const seek = slider('Seek');
    expect(seek.value).toBe('83');
    expect(seek.max).toBe('200');
    expect(seek.getAttribute('aria-valuetext')).toBe('1:23 of 3:20');
    expect(slider('Volume').value).toBe('50');
    expect(root.textContent).toContain('1:23');
    expect(root.querySelector('img')?.getAttribute('src')).toBe('/images/small');
  });

  it('flips Play/Pause with the state and calls the player', () => {
    mount(<PlayerBar />);
    act(() => player.set({ status: 'paused' }));
    button('Play').click();
    expect(player.toggle).toHaveBeenCalledTimes(1);
    button('Next').click();
    button('Previous').click();
    button('Repeat').click();
    expect(player.next).toHaveBeenCalled();
    expect(player.previous).toHaveBeenCalled();
    expect(player.cycleRepeat).toHaveBeenCalled();
    act(() => player.set({ repeat: 'track' }));
    expect(button('Repeat').getAttribute('aria-pressed')).toBe('true');
  });

  it('seeks on change (in ms) and sets the volume on input (0..1)', () => {
    mount(<PlayerBar />);
    const seek = slider('Seek');
    act(() => {
      seek.value = '120';
      seek.dispatchEvent(new Event('input', { bubbles: true }));
      seek.dispatchEvent(new Event('change', { bubbles: true }));
    });
    expect(player.seek).toHaveBeenCalledWith(120_000);
    const volume = slider('Volume');
    act(() => {
      volume.value = '25';
      volume.dispatchEvent(new Event('input', { bubbles: true }));
    });
    expect(player.setVolume).toHaveBeenCalledWith(0.25);
  });

  it('says errors in words and offers Retry', () => {
    mount(<PlayerBar />);
    expect(root.querySelector('[role="alert"]')).toBeNull();
    act(() => player.set({ status: 'error', error: 'Could not play “Track 0”: the server could not be reached.' }));
    expect(root.querySelector('[role="alert"]')?.textContent).toContain('the server could not be reached');
    button('Retry').click();
    expect(player.retry).toHaveBeenCalled();
  });
});

describe('QueueView', () => {
  it('shows now playing, the user queue and the context', () => {
    mount(<QueueView />);
    const headings = [...root.querySelectorAll('h1, h2')].map((h) => h.textContent);
    expect(headings).toEqual(['Queue', 'Now playing', 'Next in queue', 'Next from: Album']);
    const lists = root.querySelectorAll('ol');
    expect(lists[0].textContent).toContain('Track 9');
    expect(lists[1].querySelectorAll('li')).toHaveLength(2);
  });

  it('plays, moves and removes rows by index', () => {
    mount(<QueueView />);
    button('Play Track 1').click();
    expect(player.playFromQueue).toHaveBeenCalledWith(1);
    button('Move up Track 2').click();
    expect(player.moveInQueue).toHaveBeenCalledWith(2, 1);
    button('Move down Track 1').click();
    expect(player.moveInQueue).toHaveBeenCalledWith(1, 2);
    button('Remove Track 9').click();
    expect(player.removeFromQueue).toHaveBeenCalledWith(0);
    expect((button('Move up Track 9') as HTMLButtonElement).disabled).toBe(true);
    expect((button('Move down Track 9') as HTMLButtonElement).disabled).toBe(true); // queued stays before the context
    expect((button('Move down Track 2') as HTMLButtonElement).disabled).toBe(true);
  });

  it('keeps the focus on the moved row', () => {
    mount(<QueueView />);
    const up = button('Move up Track 2');
    up.focus();
    up.click();
    act(() => player.set({ queue: { ...player.getState().queue, upNext: [track(9), track(2), track(1)], keys: ['q1', 'c2', 'c1'] } }));
    expect(document.activeElement?.getAttribute('aria-label')).toBe('Move up Track 2');
  });

  it('says when nothing is playing', () => {
    player.set({ track: null, status: 'idle', queue: { current: null, upNext: [], queued: 0, keys: [], contextUri: null, contextName: null } });
    mount(<QueueView />);
    expect(root.textContent).toContain('Nothing is playing');
  });
});

describe('keyboard shortcuts', () => {
  let uninstall: () => void;
  const press = (key: string, init: KeyboardEventInit = {}, target: EventTarget = document.body) => {
    const e = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...init });
    target.dispatchEvent(e);
    return e;
  };

  beforeEach(() => {
    uninstall = installKeyboardShortcuts(player);
  });
  afterEach(() => uninstall());

  it('space toggles, arrows seek 5 s, shift+arrows skip and change the volume', () => {
    expect(press(' ').defaultPrevented).toBe(true);
    expect(player.toggle).toHaveBeenCalledTimes(1);
    press('ArrowLeft');
    expect(player.seek).toHaveBeenLastCalledWith(78_500);
    press('ArrowRight');
    expect(player.seek).toHaveBeenLastCalledWith(88_500);
    press('ArrowLeft', { shiftKey: true });
    press('ArrowRight', { ctrlKey: true });
    expect(player.previous).toHaveBeenCalledTimes(1);
    expect(player.next).toHaveBeenCalledTimes(1);
    press('ArrowUp', { shiftKey: true });
    expect(player.setVolume).toHaveBeenLastCalledWith(0.6);
    press('ArrowDown', { shiftKey: true });
    expect(player.setVolume).toHaveBeenLastCalledWith(0.4);
    expect(press('ArrowUp').defaultPrevented).toBe(false); // plain arrows up/down still scroll
  });

  it('leaves keys to inputs, buttons and sliders that use them', () => {
    const input = document.createElement('input');
    const btn = document.createElement('button');
    const range = document.createElement('input');
    range.type = 'range';
    document.body.append(input, btn, range);
    press(' ', {}, input);
    press(' ', {}, btn);
    press('ArrowLeft', {}, input);
    press('ArrowRight', {}, range);
    expect(player.toggle).not.toHaveBeenCalled();
    expect(player.seek).not.toHaveBeenCalled();
    press('ArrowRight', {}, btn); // a button does not use arrows
    expect(player.seek).toHaveBeenCalledTimes(1);
    input.remove();
    btn.remove();
    range.remove();
  });
});
