// The engine against a fake backend and jsdom's <audio> elements. jsdom does not implement media,
// so play/pause/load are stubbed and the tests fire the media events a browser would.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Engine, FORMAT_PROBES, PRELOAD_BEFORE_END_MS } from './engine';
import { EVENTS_STORAGE_KEY } from './events';
import { clearHomeOrigins, HOME_SOURCE_WINDOW_MS, openedFromHome } from './homeSource';
import type { PlaybackEvent, PlayerBackend, PlayerTrack, PlayResponse } from './types';

const DURATION_MS = 180_000;

function track(n: number): PlayerTrack {
  return {
    id: `t${n}`, uri: `segue:track:t${n}`, name: `Track ${n}`, duration_ms: DURATION_MS,
    artists: [{ id: 'a1', name: 'Artist' }],
    album: { id: 'al1', name: 'Album', images: [{ url: '/images/c64', width: 64, height: 64 }] },
  };
}
const TRACKS = [track(0), track(1), track(2)];

class FakeBackend implements PlayerBackend {
  plays: { trackId: string; formats: string[] }[] = [];
  sent: PlaybackEvent[][] = [];
  expiresIn = 3600;
  replayGain: PlayResponse['replay_gain'] = {};
  normalization: PlayResponse['normalization'] = undefined;
  failSends = false;
  failPlays = false;

  play(trackId: string, formats: string[]): Promise<PlayResponse> {
    this.plays.push({ trackId, formats });
    const n = this.plays.length;
    if (this.failPlays) return Promise.reject(Object.assign(new Error('Service unavailable'), { status: 503 }));
    return Promise.resolve({
      stream_urls: [`/audio/f-${trackId}?token=tok${n}`, `/mirror/f-${trackId}?token=tok${n}`],
      file_id: `f-${trackId}`, token: `tok${n}`, expires_in: this.expiresIn, format: 'mp3',
      mime_type: 'audio/mpeg', duration_ms: DURATION_MS, replay_gain: this.replayGain,
      ...(this.normalization ? { normalization: this.normalization } : {}),
    });
  }

  sendEvents(events: PlaybackEvent[]): Promise<void> {
    if (this.failSends) return Promise.reject(new TypeError('Failed to fetch'));
    this.sent.push(events);
    return Promise.resolve();
  }

  events(): PlaybackEvent[] {
    return this.sent.flat();
  }

  playsOf(trackId: string): number {
    return this.plays.filter((p) => p.trackId === trackId).length;
  }
}

const audio = (testId: 'audio-current' | 'audio-next') => {
  const el = document.querySelector<HTMLAudioElement>(`audio[data-testid="${testId}"]`);
  if (!el) throw new Error(`no ${testId}`);
  return el;
};
const fire = (el: HTMLElement, type: string) => el.dispatchEvent(new Event(type));
/** Lets pending promises (backend replies) settle, advancing fake time by `ms`. */
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

async function playAt(el: HTMLAudioElement, seconds: number) {
  el.currentTime = seconds;
  fire(el, 'timeupdate');
  await tick();
}

let backend: FakeBackend;
let engine: Engine;
let playSpy: ReturnType<typeof vi.fn>;

async function startPlaying(tracks = TRACKS, index = 0): Promise<HTMLAudioElement> {
  engine.playTracks(tracks, index, 'segue:album:al1');
  await tick();
  const el = audio('audio-current');
  fire(el, 'playing');
  return el;
}

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2025-03-01T12:00:00Z'), toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  localStorage.clear();
  playSpy = vi.fn(() => Promise.resolve());
  vi.spyOn(HTMLMediaElement.prototype, 'play').mockImplementation(playSpy);
  vi.spyOn(HTMLMediaElement.prototype, 'pause').mockImplementation(() => undefined);
  vi.spyOn(HTMLMediaElement.prototype, 'load').mockImplementation(() => undefined);
  backend = new FakeBackend();
  engine = new Engine(backend, { eventBatchDelayMs: 1000 });
});

afterEach(() => {
  engine.destroy();
  vi.restoreAllMocks();
  vi.useRealTimers();
  document.body.innerHTML = '';
});

describe('starting playback', () => {
  it('asks for a stream with the formats the browser can play and plays the first URL', async () => {
    vi.spyOn(HTMLMediaElement.prototype, 'canPlayType').mockImplementation((mime: string) =>
      mime === 'audio/mpeg' || mime.includes('opus') ? 'probably' : '');
    engine.playTracks(TRACKS, 1, 'segue:album:al1');
    expect(engine.getState().status).toBe('loading');
    await tick();
    expect(backend.plays).toEqual([{ trackId: 't1', formats: ['opus', 'mp3'] }]);
    const el = audio('audio-current');
    expect(el.getAttribute('src')).toBe('/audio/f-t1?token=tok1');
    expect(playSpy).toHaveBeenCalled();
    fire(el, 'playing');
    const s = engine.getState();
    expect(s.status).toBe('playing');
    expect(s.track?.id).toBe('t1');
    expect(s.queue.upNext.map((t) => t.id)).toEqual(['t2']);
    expect(s.queue.contextName).toBe('Album');
  });

  it('asks for every format when the browser cannot tell', async () => {
    await startPlaying();
    expect(backend.plays[0].formats).toEqual(FORMAT_PROBES.map(([f]) => f));
  });

  it('has two hidden audio elements in the page', () => {
    expect(audio('audio-current').hidden).toBe(true);
    expect(audio('audio-next').hidden).toBe(true);
    expect(document.querySelectorAll('audio')).toHaveLength(2);
  });
});

describe('playback events', () => {
  it('sends track_start, then track_end with skip and position when the user moves on', async () => {
    const el = await startPlaying();
    await playAt(el, 42.4);
    engine.next();
    await tick();
    fire(audio('audio-current'), 'playing');
    await tick(1000);
    const events = backend.events();
    expect(events.map((e) => [e.type, e.track_id])).toEqual([['track_start', 't0'], ['track_end', 't0'], ['track_start', 't1']]);
    expect(events[0]).toMatchObject({ position_ms: 0, context_uri: 'segue:album:al1', timestamp: Date.parse('2025-03-01T12:00:00Z') });
    expect(events[1]).toMatchObject({ position_ms: 42400, skip: true, reason: 'fwdbtn' });
    expect(localStorage.getItem(EVENTS_STORAGE_KEY)).toBeNull();
  });

  it('marks the plays of a context started from home with the shelf, until another context plays', async () => {
    clearHomeOrigins();
    engine.playTracks(TRACKS, 0, undefined, 'Recommended for you', 'home:recommended_tracks');
    await tick();
    fire(audio('audio-current'), 'playing');
    await playAt(audio('audio-current'), 40);
    // An album page opened from a home card 29 minutes ago: its plays are from that shelf.
    openedFromHome('segue:album:al1', 'new_releases', Date.now() - HOME_SOURCE_WINDOW_MS + 60_000);
    engine.playTracks(TRACKS, 1, 'segue:album:al1');
    await tick();
    fire(audio('audio-current'), 'playing');
    // One opened 31 minutes ago is not.
    openedFromHome('segue:album:al2', 'new_releases', Date.now() - HOME_SOURCE_WINDOW_MS - 60_000);
    engine.playTracks(TRACKS, 2, 'segue:album:al2');
    await tick();
    fire(audio('audio-current'), 'playing');
    await tick(1000);
    const events = backend.events();
    expect(events.map((e) => [e.type, e.track_id, e.source])).toEqual([
      ['track_start', 't0', 'home:recommended_tracks'],
      ['track_end', 't0', 'home:recommended_tracks'],
      ['track_start', 't1', 'home:new_releases'],
      ['track_end', 't1', 'home:new_releases'],
      ['track_start', 't2', undefined],
    ]);
    expect(events[1]).toMatchObject({ position_ms: 40000, skip: true });
  });

  it('batches events: nothing is sent before the batch delay', async () => {
    await startPlaying();
    await tick(500);
    expect(backend.sent).toHaveLength(0);
    await tick(600);
    expect(backend.sent).toHaveLength(1);
  });

  it('reports a finished track as trackdone without skip and plays the next', async () => {
    const el = await startPlaying();
    await playAt(el, 179.9);
    fire(el, 'ended');
    await tick();
    fire(audio('audio-current'), 'playing');
    await tick(1000);
    const end = backend.events().find((e) => e.type === 'track_end');
    expect(end).toMatchObject({ track_id: 't0', reason: 'trackdone', skip: false, position_ms: DURATION_MS });
    expect(engine.getState().track?.id).toBe('t1');
  });

  it('previous within 3 s goes back; after 3 s it restarts the track', async () => {
    const el = await startPlaying(TRACKS, 1);
    await playAt(el, 10);
    engine.previous();
    await tick();
    expect(engine.getState().track?.id).toBe('t1');
    expect(el.currentTime).toBe(0);
    expect(backend.plays).toHaveLength(1);
    await playAt(el, 2);
    engine.previous();
    await tick();
    expect(engine.getState().track?.id).toBe('t0');
    await tick(1000);
    const types = backend.events().map((e) => [e.type, e.track_id, e.reason ?? '']);
    expect(types).toEqual([
      ['track_start', 't1', ''], ['track_end', 't1', 'backbtn'], ['track_start', 't1', ''], ['track_end', 't1', 'backbtn'],
    ]);
  });

  it('keeps unsent events in localStorage and sends them when a player starts again', async () => {
    backend.failSends = true;
    const el = await startPlaying();
    await playAt(el, 5);
    engine.pause();
    await tick(1000);
    expect(backend.sent).toHaveLength(0);
    const stored = JSON.parse(localStorage.getItem(EVENTS_STORAGE_KEY) ?? '[]') as unknown[];
    expect(stored).toHaveLength(1);
    engine.destroy(); // adds track_end (logout); the send fails again
    await tick();
    expect(JSON.parse(localStorage.getItem(EVENTS_STORAGE_KEY) ?? '[]')).toHaveLength(2);

    backend.failSends = false;
    engine = new Engine(backend, { eventBatchDelayMs: 1000 });
    await tick();
    expect(backend.events().map((e) => e.type)).toEqual(['track_start', 'track_end']);
    expect(backend.events()[1]).toMatchObject({ reason: 'logout', position_ms: 5000 });
    expect(localStorage.getItem(EVENTS_STORAGE_KEY)).toBeNull();
  });

  it('destroy flushes at once, stops and removes the audio elements', async () => {
    const el = await startPlaying();
    await playAt(el, 7);
    engine.destroy();
    await tick();
    expect(backend.events().map((e) => e.type)).toEqual(['track_start', 'track_end']);
    expect(document.querySelectorAll('audio')).toHaveLength(0);
    expect(engine.getState().status).toBe('idle');
  });
});

describe('preloading and transitions', () => {
  it('preloads the next track near the end and swaps the elements when the track ends', async () => {
    const first = await startPlaying();
    await playAt(first, 30);
    expect(backend.plays).toHaveLength(1);
    await playAt(first, (DURATION_MS - PRELOAD_BEFORE_END_MS + 1000) / 1000);
    expect(backend.plays.map((p) => p.trackId)).toEqual(['t0', 't1']);
    const spare = audio('audio-next');
    expect(spare.getAttribute('src')).toBe('/audio/f-t1?token=tok2');
    expect(spare.preload).toBe('auto');

    fire(first, 'ended');
    await tick();
    expect(audio('audio-current')).toBe(spare);
    // The old element is dropped (its download ends) and a fresh one waits for the next preload.
    expect(first.isConnected).toBe(false);
    expect(first.hasAttribute('src')).toBe(false);
    expect(audio('audio-next').hasAttribute('src')).toBe(false);
    expect(document.querySelectorAll('audio')).toHaveLength(2);
    expect(backend.plays).toHaveLength(2); // no second request for the preloaded track
    fire(spare, 'playing');
    expect(engine.getState().track?.id).toBe('t1');
    expect(engine.getState().status).toBe('playing');
  });

  it('drops the preload when the queue changes what comes next', async () => {
    const el = await startPlaying();
    await playAt(el, 170);
    expect(audio('audio-next').getAttribute('src')).toContain('f-t1');
    engine.addToQueue(track(9));
    await tick();
    expect(audio('audio-next').getAttribute('src')).toContain('f-t9');
  });

  it('stops on the first track at the end of the context with repeat off', async () => {
    const el = await startPlaying([track(0)]);
    await playAt(el, 179);
    fire(el, 'ended');
    await tick();
    const s = engine.getState();
    expect(s.track?.id).toBe('t0');
    expect(s.status).toBe('loading'); // paused as soon as the media reports it can play
    expect(playSpy).toHaveBeenCalledTimes(1);
    fire(audio('audio-current'), 'loadedmetadata');
    expect(engine.getState().status).toBe('paused');
  });

  it('repeat track plays the same element again and reports a new start', async () => {
    const el = await startPlaying();
    engine.cycleRepeat();
    engine.cycleRepeat();
    expect(engine.getState().repeat).toBe('track');
    await playAt(el, 175);
    expect(backend.plays).toHaveLength(1); // nothing to preload
    fire(el, 'ended');
    await tick();
    expect(el.currentTime).toBe(0);
    fire(el, 'playing');
    await tick(1000);
    expect(backend.events().map((e) => `${e.type}:${e.track_id}`)).toEqual(['track_start:t0', 'track_end:t0', 'track_start:t0']);
  });
});

describe('errors and fallbacks', () => {
  it('falls back to the second URL, then asks for a fresh token, resuming at the same position', async () => {
    const el = await startPlaying();
    await playAt(el, 61);
    fire(el, 'error');
    expect(el.getAttribute('src')).toBe('/mirror/f-t0?token=tok1');
    expect(el.currentTime).toBe(61);
    fire(el, 'loadedmetadata');
    fire(el, 'error');
    await tick();
    expect(backend.plays.map((p) => p.trackId)).toEqual(['t0', 't0']);
    expect(el.getAttribute('src')).toBe('/audio/f-t0?token=tok2');
    expect(el.currentTime).toBe(61);
    expect(engine.getState().status).toBe('playing');
  });

  it('gives up with words after the fallbacks and moves on to the next track', async () => {
    const el = await startPlaying();
    await playAt(el, 20);
    fire(el, 'error'); // second URL
    fire(el, 'error'); // fresh token
    await tick();
    fire(el, 'error'); // its second URL
    fire(el, 'error'); // give up
    await tick();
    const s = engine.getState();
    expect(s.status).toBe('error');
    expect(s.error).toMatch(/^Could not play “Track 0”/);
    await tick(1500);
    expect(engine.getState().track?.id).toBe('t1');
    expect(backend.plays.at(-1)?.trackId).toBe('t1');
    fire(audio('audio-current'), 'playing');
    expect(engine.getState().error).toMatch(/Track 0/); // still said for a moment
    await tick(10_000);
    expect(engine.getState().error).toBeNull();
    const end = backend.events().find((e) => e.type === 'track_end');
    expect(end).toMatchObject({ reason: 'trackerror', skip: true, position_ms: 20000 });
  });

  it('stays on the track and offers a retry when the server is unreachable', async () => {
    backend.failPlays = true;
    engine.playTracks(TRACKS, 0);
    await tick(5000);
    expect(engine.getState().status).toBe('error');
    expect(engine.getState().track?.id).toBe('t0');
    expect(backend.plays).toHaveLength(1);
    backend.failPlays = false;
    engine.retry();
    await tick();
    expect(audio('audio-current').getAttribute('src')).toBe('/audio/f-t0?token=tok2');
    expect(engine.getState().status).toBe('loading');
  });
});

describe('token renewal', () => {
  it('renews shortly before expiry and applies the new URL only when the element needs the network', async () => {
    backend.expiresIn = 60; // lead: min(15 s, 60 s / 4) = 15 s
    const el = await startPlaying();
    await tick(44_000);
    expect(backend.plays).toHaveLength(1);
    await tick(1000);
    expect(backend.plays.map((p) => p.trackId)).toEqual(['t0', 't0']);
    expect(el.getAttribute('src')).toBe('/audio/f-t0?token=tok1'); // no interruption while playing
    await playAt(el, 80);
    fire(el, 'error'); // the old token is refused on the next range request
    expect(el.getAttribute('src')).toBe('/audio/f-t0?token=tok2');
    expect(el.currentTime).toBe(80);
    expect(backend.plays).toHaveLength(2);
    // The next renewal is scheduled for the new token.
    await tick(45_000);
    expect(backend.plays).toHaveLength(3);
  });

  it('swaps the URL at once while paused, and at the seek position on a seek', async () => {
    backend.expiresIn = 60;
    const el = await startPlaying();
    await playAt(el, 30);
    await tick(45_000);
    expect(backend.plays).toHaveLength(2);
    engine.seek(90_000);
    expect(el.getAttribute('src')).toBe('/audio/f-t0?token=tok2');
    expect(el.currentTime).toBe(90);
    fire(el, 'loadedmetadata');
    engine.pause();
    await tick(60_000);
    expect(backend.plays).toHaveLength(2); // no renewal on a timer while paused
    engine.play();
    await tick();
    expect(backend.plays).toHaveLength(3); // resumed after the token lapsed: fresh URL first
    expect(el.getAttribute('src')).toBe('/audio/f-t0?token=tok3');
    expect(el.currentTime).toBe(90);
  });

  it('does not renew a token that outlives the track', async () => {
    backend.expiresIn = 600;
    await startPlaying();
    await tick(590_000);
    expect(backend.playsOf('t0')).toBe(1);
  });
});

describe('volume and replay gain', () => {
  it('multiplies the volume by the replay gain, clamped to 1', async () => {
    backend.replayGain = { track_gain_db: -6, album_gain_db: 3 };
    engine.setVolume(0.5);
    const el = await startPlaying([track(0)], 0);
    // An album context prefers the album gain.
    expect(el.volume).toBeCloseTo(Math.min(1, 0.5 * 10 ** (3 / 20)), 5);
    engine.setVolume(1);
    expect(el.volume).toBe(1);
    engine.playTracks([track(1)], 0); // no album context: the track gain
    await tick();
    expect(audio('audio-current').volume).toBeCloseTo(10 ** (-6 / 20), 5);
    expect(engine.getState().volume).toBe(1);
    expect(localStorage.getItem('segue.player.volume')).toBe('1');
  });

  it("prefers the server's loudness normalisation over the tags", async () => {
    backend.replayGain = { track_gain_db: 2, album_gain_db: 2 };
    backend.normalization = { target_lufs: -14, integrated_lufs: -8, true_peak_dbtp: -0.2,
      track_gain_db: -6, album_gain_db: -4 };
    engine.setVolume(0.8);
    const el = await startPlaying([track(0)], 0);
    expect(el.volume).toBeCloseTo(0.8 * 10 ** (-4 / 20), 5); // album context: album gain
    engine.playTracks([track(1)], 0);
    await tick();
    expect(audio('audio-current').volume).toBeCloseTo(0.8 * 10 ** (-6 / 20), 5);
    // A quiet master's positive gain: applied only as far as the element's volume (max 1) allows.
    backend.normalization = { ...backend.normalization, track_gain_db: 5, album_gain_db: 5 };
    engine.playTracks([track(2)], 0);
    await tick();
    expect(audio('audio-current').volume).toBe(1);
    engine.setVolume(0.5);
    expect(audio('audio-current').volume).toBeCloseTo(Math.min(1, 0.5 * 10 ** (5 / 20)), 5);
  });
});

describe('Media Session', () => {
  it('sets metadata, playback state and position, and answers the media keys', async () => {
    engine.destroy();
    const handlers = new Map<string, MediaSessionActionHandler | null>();
    const session = {
      metadata: null as unknown,
      playbackState: 'none',
      setActionHandler: vi.fn((action: string, h: MediaSessionActionHandler | null) => handlers.set(action, h)),
      setPositionState: vi.fn(),
    };
    Object.defineProperty(navigator, 'mediaSession', { value: session, configurable: true });
    vi.stubGlobal('MediaMetadata', class {
      constructor(readonly init: MediaMetadataInit) {}
    });
    try {
      engine = new Engine(backend);
      expect([...handlers.keys()].sort()).toEqual(['nexttrack', 'pause', 'play', 'previoustrack', 'seekbackward', 'seekforward', 'seekto']);
      const el = await startPlaying();
      expect((session.metadata as { init: MediaMetadataInit }).init).toMatchObject({
        title: 'Track 0', artist: 'Artist', album: 'Album', artwork: [{ src: '/images/c64', sizes: '64x64' }],
      });
      expect(session.playbackState).toBe('playing');
      expect(session.setPositionState).toHaveBeenCalledWith({ duration: 180, position: 0, playbackRate: 1 });
      await playAt(el, 50);
      handlers.get('seekforward')?.({ action: 'seekforward' });
      expect(el.currentTime).toBe(60);
      handlers.get('seekto')?.({ action: 'seekto', seekTime: 12 });
      expect(el.currentTime).toBe(12);
      handlers.get('pause')?.({ action: 'pause' });
      expect(engine.getState().status).toBe('paused');
      expect(session.playbackState).toBe('paused');
      handlers.get('nexttrack')?.({ action: 'nexttrack' });
      await tick();
      expect(engine.getState().track?.id).toBe('t1');
      engine.destroy();
      expect(handlers.get('play')).toBeNull();
    } finally {
      Reflect.deleteProperty(navigator, 'mediaSession');
      vi.unstubAllGlobals();
    }
  });
});
