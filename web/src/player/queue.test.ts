import { describe, expect, it } from 'vitest';
import * as Q from './queue';
import type { PlayerTrack } from './types';

function track(n: number): PlayerTrack {
  return {
    id: `t${n}`, uri: `segue:track:t${n}`, name: `Track ${n}`, duration_ms: 180_000,
    artists: [{ id: 'a1', name: 'Artist' }],
    album: { id: 'al1', name: 'Album', images: [] },
  };
}
const tracks = (count: number) => Array.from({ length: count }, (_, i) => track(i));
const ids = (entries: { track: PlayerTrack }[]) => entries.map((e) => e.track.id);

/** A deterministic pseudo-random sequence (so a failing case can be replayed). */
function seeded(seed: number): Q.Random {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

function start(count: number, index = 0): Q.QueueModel {
  return Q.setContext(Q.emptyQueue(), tracks(count), index, 'segue:album:al1', 'Album');
}

function mustNext(m: Q.QueueModel, auto = false): Q.QueueModel {
  const n = Q.next(m, auto);
  if (!n) throw new Error('expected a next track');
  return n;
}

describe('context and next', () => {
  it('starts at the given index and lists the rest of the context as up next', () => {
    const m = start(5, 2);
    expect(m.current?.track.id).toBe('t2');
    expect(ids(Q.upNext(m))).toEqual(['t3', 't4']);
  });

  it('clamps a start index out of range', () => {
    expect(start(3, 9).current?.track.id).toBe('t2');
    expect(start(3, -4).current?.track.id).toBe('t0');
  });

  it('stops at the end of the context when repeat is off', () => {
    let m = start(3, 1);
    m = mustNext(m, true);
    expect(m.current?.track.id).toBe('t2');
    expect(Q.next(m, true)).toBeNull();
    expect(Q.next(m, false)).toBeNull();
    expect(Q.peekNext(m, true)).toBeNull();
  });

  it('wraps to the first track with repeat context', () => {
    const m = Q.setRepeat(start(3, 2), 'context');
    const n = mustNext(m, true);
    expect(n.current?.track.id).toBe('t0');
    expect(ids(Q.upNext(n))).toEqual(['t1', 't2']);
  });

  it('repeats the track when it ends by itself with repeat track, but Next still moves on', () => {
    const m = Q.setRepeat(start(3, 1), 'track');
    expect(Q.next(m, true)).toBe(m);
    expect(Q.peekNext(m, true)?.track.id).toBe('t1');
    expect(mustNext(m, false).current?.track.id).toBe('t2');
    // Next at the last track with repeat track wraps instead of stopping.
    const last = Q.setRepeat(start(3, 2), 'track');
    expect(mustNext(last, false).current?.track.id).toBe('t0');
  });

  it('cycles repeat off -> context -> track -> off', () => {
    let m = start(2);
    const seen = [m.repeat];
    for (let i = 0; i < 3; i++) {
      m = Q.cycleRepeat(m);
      seen.push(m.repeat);
    }
    expect(seen).toEqual(['off', 'context', 'track', 'off']);
  });

  it('rewinds to the first track in play order', () => {
    const m = Q.rewind(mustNext(start(3, 1)));
    expect(m.current?.track.id).toBe('t0');
    expect(Q.rewind(Q.emptyQueue()).current).toBeNull();
  });
});

describe('user queue', () => {
  it('plays queued tracks before the rest of the context, in the order added', () => {
    let m = start(4, 0);
    m = Q.addToQueue(m, track(10));
    m = Q.addToQueue(m, track(11));
    expect(ids(Q.upNext(m))).toEqual(['t10', 't11', 't1', 't2', 't3']);
    m = mustNext(m);
    expect(m.current?.track.id).toBe('t10');
    expect(m.currentFromQueue).toBe(true);
    m = mustNext(m);
    expect(m.current?.track.id).toBe('t11');
    m = mustNext(m);
    expect(m.current?.track.id).toBe('t1'); // the context resumes after the track it was on
    expect(m.currentFromQueue).toBe(false);
  });

  it('gives distinct keys to the same track queued twice', () => {
    let m = Q.addToQueue(start(1), track(5));
    m = Q.addToQueue(m, track(5));
    const keys = Q.upNext(m).map((e) => e.key);
    expect(new Set(keys).size).toBe(2);
  });

  it('plays the queue even at the end of the context with repeat off', () => {
    let m = Q.addToQueue(start(2, 1), track(9));
    m = mustNext(m, true);
    expect(m.current?.track.id).toBe('t9');
    expect(Q.next(m, true)).toBeNull();
  });

  it('ensureCurrent makes the first queued track current on an empty player', () => {
    const m = Q.ensureCurrent(Q.addToQueue(Q.emptyQueue(), track(7)));
    expect(m.current?.track.id).toBe('t7');
    expect(Q.upNext(m)).toEqual([]);
  });

  it('keeps the user queue when a new context starts', () => {
    let m = Q.addToQueue(start(3), track(9));
    m = Q.setContext(m, tracks(2), 1, 'segue:album:x', 'X');
    expect(m.current?.track.id).toBe('t1');
    expect(ids(Q.upNext(m))).toEqual(['t9']);
  });
});

describe('previous', () => {
  it('restarts the track after 3 seconds', () => {
    const m = start(3, 2);
    expect(Q.previous(m, 3001)).toEqual({ model: m, restart: true });
  });

  it('goes to the previous track within 3 seconds', () => {
    const { model, restart } = Q.previous(start(3, 2), 3000);
    expect(restart).toBe(false);
    expect(model.current?.track.id).toBe('t1');
    expect(ids(Q.upNext(model))).toEqual(['t2']);
  });

  it('restarts the first track, or wraps to the last with repeat context', () => {
    expect(Q.previous(start(3, 0), 500).restart).toBe(true);
    const { model, restart } = Q.previous(Q.setRepeat(start(3, 0), 'context'), 500);
    expect(restart).toBe(false);
    expect(model.current?.track.id).toBe('t2');
  });

  it('from a queued track goes back to the context track and keeps the queued one', () => {
    let m = Q.addToQueue(start(3, 1), track(9));
    m = mustNext(m);
    const { model } = Q.previous(m, 1000);
    expect(model.current?.track.id).toBe('t1');
    expect(ids(Q.upNext(model))).toEqual(['t9', 't2']);
  });

  it('does nothing without a current track', () => {
    const m = Q.emptyQueue();
    expect(Q.previous(m, 0)).toEqual({ model: m, restart: false });
  });
});

describe('shuffle', () => {
  it('keeps the current track first and every track exactly once', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const m = Q.toggleShuffle(start(10, 4), seeded(seed));
      expect(m.current?.track.id).toBe('t4');
      expect(m.order[m.pos]).toBe(4);
      expect(m.pos).toBe(0);
      const played = [m.current?.track.id, ...ids(Q.upNext(m))];
      expect(played.slice().sort()).toEqual(tracks(10).map((t) => t.id).sort());
      expect(new Set(played).size).toBe(10);
    }
  });

  it('actually changes the order', () => {
    const orders = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) orders.add(Q.toggleShuffle(start(8), seeded(seed)).order.join(','));
    expect(orders.size).toBeGreaterThan(1);
  });

  it('keeps the shuffled order stable while playing through it', () => {
    let m = Q.toggleShuffle(start(6, 0), seeded(7));
    const planned = ids(Q.upNext(m));
    const played: string[] = [];
    for (let n = Q.next(m, true); n; n = Q.next(n, true)) {
      played.push(n.current?.track.id ?? '');
      m = n;
    }
    expect(played).toEqual(planned);
  });

  it('unshuffle returns to the context order at the current track', () => {
    let m = Q.toggleShuffle(start(8, 3), seeded(3));
    m = mustNext(mustNext(m));
    const now = m.current?.track.id ?? '';
    m = Q.toggleShuffle(m);
    expect(m.shuffle).toBe(false);
    expect(m.order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(m.current?.track.id).toBe(now);
    const n = Number(now.slice(1));
    expect(ids(Q.upNext(m))).toEqual(tracks(8).slice(n + 1).map((t) => t.id));
  });

  it('applies to a new context when shuffle is on', () => {
    const on = Q.toggleShuffle(Q.emptyQueue(), seeded(1));
    const m = Q.setContext(on, tracks(6), 2, null, null, seeded(9));
    expect(m.current?.track.id).toBe('t2');
    expect(m.order[0]).toBe(2);
    expect(m.order.slice().sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('does not touch the user queue', () => {
    const m = Q.toggleShuffle(Q.addToQueue(start(5), track(9)), seeded(2));
    expect(Q.upNext(m)[0].track.id).toBe('t9');
  });
});

describe('editing the upcoming list', () => {
  it('moves within the context part', () => {
    const m = Q.moveInQueue(start(5, 0), 0, 2); // t1 after t3
    expect(ids(Q.upNext(m))).toEqual(['t2', 't3', 't1', 't4']);
    expect(mustNext(m).current?.track.id).toBe('t2');
  });

  it('moves within the user queue', () => {
    let m = start(2);
    for (const n of [7, 8, 9]) m = Q.addToQueue(m, track(n));
    m = Q.moveInQueue(m, 2, 0);
    expect(ids(Q.upNext(m))).toEqual(['t9', 't7', 't8', 't1']);
  });

  it('a context track moved into the queue part becomes queued', () => {
    const m = Q.moveInQueue(Q.addToQueue(start(4), track(9)), 3, 0); // t3 to the front
    expect(ids(Q.upNext(m))).toEqual(['t3', 't9', 't1', 't2']);
    expect(m.userQueue.length).toBe(2);
  });

  it('a queued track cannot move past the queue', () => {
    const m = Q.moveInQueue(Q.addToQueue(start(4), track(9)), 0, 2);
    expect(ids(Q.upNext(m))).toEqual(['t9', 't1', 't2', 't3']);
  });

  it('ignores moves out of range', () => {
    const m = start(3);
    expect(Q.moveInQueue(m, 0, 5)).toBe(m);
    expect(Q.moveInQueue(m, -1, 0)).toBe(m);
    expect(Q.moveInQueue(m, 1, 1)).toBe(m);
  });

  it('removes queued and context entries, and the removed ones stay out after unshuffle', () => {
    let m = Q.addToQueue(start(5, 0), track(9));
    m = Q.removeFromQueue(m, 0);
    expect(ids(Q.upNext(m))).toEqual(['t1', 't2', 't3', 't4']);
    m = Q.removeFromQueue(m, 1);
    expect(ids(Q.upNext(m))).toEqual(['t1', 't3', 't4']);
    m = Q.toggleShuffle(Q.toggleShuffle(m, seeded(4)));
    expect(ids(Q.upNext(m))).toEqual(['t1', 't3', 't4']);
    expect(Q.removeFromQueue(m, 3)).toBe(m);
  });

  it('plays from a context index, skipping to it and keeping the user queue', () => {
    let m = Q.addToQueue(start(5, 0), track(9));
    m = Q.playFromQueue(m, 3); // upNext: t9, t1, t2, t3 -> t3
    expect(m.current?.track.id).toBe('t3');
    expect(ids(Q.upNext(m))).toEqual(['t9', 't4']);
  });

  it('plays from a queue index, dropping the queued tracks before it', () => {
    let m = start(3, 0);
    for (const n of [7, 8, 9]) m = Q.addToQueue(m, track(n));
    m = Q.playFromQueue(m, 1);
    expect(m.current?.track.id).toBe('t8');
    expect(ids(Q.upNext(m))).toEqual(['t9', 't1', 't2']);
    expect(Q.playFromQueue(m, 10)).toBe(m);
  });
});

describe('appendToContext (a radio refill)', () => {
  it('appends after the rest of the context, shuffled or not, and only to the same context', () => {
    let m = start(3, 1);
    m = Q.appendToContext(m, [track(7), track(8)], 'segue:album:al1');
    expect(ids(Q.upNext(m))).toEqual(['t2', 't7', 't8']);
    expect(m.current?.track.id).toBe('t1');
    expect(Q.appendToContext(m, [track(9)], 'segue:radio:other')).toBe(m);
    expect(Q.appendToContext(m, [], 'segue:album:al1')).toBe(m);
    let s = Q.toggleShuffle(start(4, 0), seeded(5));
    const before = ids(Q.upNext(s));
    s = Q.appendToContext(s, [track(9)], 'segue:album:al1');
    expect(ids(Q.upNext(s))).toEqual([...before, 't9']);
    // User-queued tracks still come first.
    const q = Q.appendToContext(Q.addToQueue(start(2, 0), track(5)), [track(6)], 'segue:album:al1');
    expect(ids(Q.upNext(q))).toEqual(['t5', 't1', 't6']);
  });
});
