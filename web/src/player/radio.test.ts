import { describe, expect, it, vi } from 'vitest';
import * as Q from './queue';
import { BATCH, RadioStation, type RadioRequest } from './radio';
import type { Player, PlayerState, PlayerTrack } from './types';

function track(id: string): PlayerTrack {
  return { id, uri: `segue:track:${id}`, name: id, duration_ms: 180_000, artists: [{ id: 'a', name: 'A' }], album: { id: 'al', name: 'Al', images: [] } };
}

/** A player over the real queue model, without audio. */
function queuePlayer() {
  let m = Q.emptyQueue();
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((l) => l());
  const player = {
    playTracks: (tracks: PlayerTrack[], i: number, uri?: string, name?: string) => { m = Q.setContext(m, tracks, i, uri ?? null, name ?? null); changed(); },
    next: () => { m = Q.next(m, false) ?? m; changed(); },
    appendToContext: (tracks: PlayerTrack[], uri: string) => { const n = Q.appendToContext(m, tracks, uri); const ok = n !== m; m = n; changed(); return ok; },
    subscribe: (l: () => void) => { listeners.add(l); return () => listeners.delete(l); },
    getState: (): PlayerState => ({
      status: 'playing', track: m.current?.track ?? null, positionMs: 0, durationMs: 0, volume: 1, shuffle: false, repeat: 'off', error: null,
      queue: { current: m.current?.track ?? null, upNext: Q.upNext(m).map((e) => e.track), queued: m.userQueue.length, keys: [], contextUri: m.contextUri, contextName: m.contextName },
    }),
  };
  return player as unknown as Player & { next(): void };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('RadioStation', () => {
  it('starts a radio context from the first batch and refills it before it runs out', async () => {
    const player = queuePlayer();
    let n = 0;
    const requests: RadioRequest[] = [];
    const fetchRadio = vi.fn(async (r: RadioRequest) => {
      requests.push(JSON.parse(JSON.stringify(r)));
      return { context_uri: 'segue:radio:segue:artist:x', tracks: Array.from({ length: 5 }, () => track(`t${n++}`)) };
    });
    const station = new RadioStation(player, fetchRadio);
    await station.start('segue:artist:x', 'Ash');
    expect(requests[0]).toEqual({ seed: 'segue:artist:x', played: [], skipped: [], queued: [], limit: BATCH });
    const s = player.getState();
    expect(s.queue.contextUri).toBe('segue:radio:segue:artist:x');
    expect(s.queue.contextName).toBe('Ash Radio');
    expect(s.track?.id).toBe('t0');
    expect(fetchRadio).toHaveBeenCalledTimes(1); // four still to come: no refill yet

    // t0 played through, t1 skipped after 5 s: then two remain and the station asks for more.
    station.observe([{ type: 'track_end', track_id: 't0', position_ms: 180_000, reason: 'trackdone', context_uri: 'segue:radio:segue:artist:x', timestamp: 1 }]);
    player.next();
    await flush();
    expect(fetchRadio).toHaveBeenCalledTimes(1); // three to come
    station.observe([{ type: 'track_end', track_id: 't1', position_ms: 5_000, skip: true, reason: 'fwdbtn', context_uri: 'segue:radio:segue:artist:x', timestamp: 2 }]);
    player.next();
    await flush();
    expect(fetchRadio).toHaveBeenCalledTimes(2);
    expect(requests[1].played).toEqual(['t0']);
    expect(requests[1].skipped).toEqual(['t1']);
    expect(requests[1].queued.sort()).toEqual(['t2', 't3', 't4']);
    expect(player.getState().queue.upNext.map((t) => t.id)).toEqual(['t3', 't4', 't5', 't6', 't7', 't8', 't9']);
    station.destroy();
  });

  it('counts a skip after 30 s as played, ignores other contexts, and stops refilling when another context plays', async () => {
    const player = queuePlayer();
    const fetchRadio = vi.fn(async () => ({ context_uri: 'segue:radio:segue:track:s', tracks: [track('s'), track('u')] }));
    const station = new RadioStation(player, fetchRadio);
    await station.start('segue:track:s', 'Song');
    await flush();
    station.observe([
      { type: 'track_end', track_id: 's', position_ms: 45_000, skip: true, context_uri: 'segue:radio:segue:track:s', timestamp: 1 },
      { type: 'track_end', track_id: 'x', position_ms: 1_000, skip: true, context_uri: 'segue:album:al', timestamp: 2 },
      { type: 'track_start', track_id: 'u', context_uri: 'segue:radio:segue:track:s', timestamp: 3 },
    ]);
    expect(station.history()).toEqual({ played: ['s'], skipped: [] });
    const calls = fetchRadio.mock.calls.length;
    player.playTracks([track('a1')], 0, 'segue:album:al', 'Album');
    await flush();
    expect(fetchRadio.mock.calls.length).toBe(calls);
    expect(station.current).toBeNull();
    station.destroy();
  });
});
