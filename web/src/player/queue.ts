// The play queue as immutable data and pure functions (no DOM, no timers).
//
// A queue has a context (the album, artist or list the user started playing) and a user queue
// ("Add to queue"). The context is played in `order`: context indices, the identity order when not
// shuffled; an item removed from the upcoming list is dropped from `order`. `pos` is the position in
// `order` of the last context track played: the current track, unless a user-queued track is playing,
// in which case the context resumes after `pos` once the user queue is empty.
import type { PlayerTrack, RepeatMode } from './types';

export interface QueueEntry {
  /** Stable while the entry is in the queue: "c<context index>" or "q<n>". */
  readonly key: string;
  readonly track: PlayerTrack;
}

export interface QueueModel {
  readonly context: readonly PlayerTrack[];
  readonly contextUri: string | null;
  readonly contextName: string | null;
  readonly order: readonly number[];
  readonly pos: number;
  readonly userQueue: readonly QueueEntry[];
  readonly current: QueueEntry | null;
  /** True when `current` came from the user queue rather than from the context. */
  readonly currentFromQueue: boolean;
  readonly shuffle: boolean;
  readonly repeat: RepeatMode;
  readonly nextKey: number;
}

/** Returns a number in [0, 1); Math.random by default, injectable for tests. */
export type Random = () => number;

/** Restarting instead of going back happens past this position, as Spotify does. */
export const PREVIOUS_RESTART_MS = 3000;

export function emptyQueue(): QueueModel {
  return {
    context: [], contextUri: null, contextName: null, order: [], pos: -1, userQueue: [],
    current: null, currentFromQueue: false, shuffle: false, repeat: 'off', nextKey: 1,
  };
}

function contextEntry(m: QueueModel, index: number): QueueEntry {
  return { key: `c${index}`, track: m.context[index] };
}

function shuffled<T>(items: readonly T[], random: Random): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(random() * (i + 1)));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** A shuffled order that keeps the context track at `pos` (if any) first. */
function shuffleOrder(order: readonly number[], pos: number, random: Random): { order: number[]; pos: number } {
  if (pos < 0) return { order: shuffled(order, random), pos: -1 };
  const first = order[pos];
  const rest = order.filter((_, i) => i !== pos);
  return { order: [first, ...shuffled(rest, random)], pos: 0 };
}

/** Starts a new context at `startIndex`. The user queue and the shuffle/repeat modes are kept. */
export function setContext(
  m: QueueModel, tracks: readonly PlayerTrack[], startIndex: number,
  contextUri: string | null = null, contextName: string | null = null, random: Random = Math.random,
): QueueModel {
  if (tracks.length === 0) {
    return { ...m, context: [], contextUri, contextName, order: [], pos: -1, current: null, currentFromQueue: false };
  }
  const start = Math.min(Math.max(0, Math.trunc(startIndex) || 0), tracks.length - 1);
  let order = tracks.map((_, i) => i);
  let pos = start;
  if (m.shuffle) ({ order, pos } = shuffleOrder(order, pos, random));
  const next: QueueModel = { ...m, context: tracks.slice(), contextUri, contextName, order, pos, currentFromQueue: false };
  return { ...next, current: contextEntry(next, order[pos]) };
}

/** The upcoming entries: the user queue first, then the rest of the context in play order. */
export function upNext(m: QueueModel): QueueEntry[] {
  return [...m.userQueue, ...m.order.slice(m.pos + 1).map((i) => contextEntry(m, i))];
}

/**
 * Moves on. `auto` is true when the current track ended by itself: then repeat "track" plays it
 * again. Returns null when nothing follows (end of the context with repeat off): playback stops.
 */
export function next(m: QueueModel, auto: boolean): QueueModel | null {
  if (auto && m.repeat === 'track' && m.current) return m;
  if (m.userQueue.length > 0) {
    return { ...m, current: m.userQueue[0], currentFromQueue: true, userQueue: m.userQueue.slice(1) };
  }
  if (m.pos + 1 < m.order.length) {
    const pos = m.pos + 1;
    return { ...m, pos, current: contextEntry(m, m.order[pos]), currentFromQueue: false };
  }
  if (m.repeat !== 'off' && m.order.length > 0) {
    return { ...m, pos: 0, current: contextEntry(m, m.order[0]), currentFromQueue: false };
  }
  return null;
}

/** What `next(m, auto)` would make current, without changing anything (for preloading). */
export function peekNext(m: QueueModel, auto: boolean): QueueEntry | null {
  return next(m, auto)?.current ?? null;
}

/** Back to the first track of the context (in play order), e.g. after the end of the context. */
export function rewind(m: QueueModel): QueueModel {
  if (m.order.length === 0) return { ...m, pos: -1, current: null, currentFromQueue: false };
  return { ...m, pos: 0, current: contextEntry(m, m.order[0]), currentFromQueue: false };
}

/**
 * The Previous button. Past PREVIOUS_RESTART_MS, or with nothing before, it restarts the current
 * track (`restart`, same model). A user-queued track goes back to the front of the user queue.
 */
export function previous(m: QueueModel, positionMs: number): { model: QueueModel; restart: boolean } {
  const restart = { model: m, restart: true };
  if (!m.current) return { model: m, restart: false };
  if (positionMs > PREVIOUS_RESTART_MS) return restart;
  if (m.currentFromQueue) {
    if (m.pos < 0) return restart;
    return {
      model: { ...m, userQueue: [m.current, ...m.userQueue], current: contextEntry(m, m.order[m.pos]), currentFromQueue: false },
      restart: false,
    };
  }
  let pos = m.pos - 1;
  if (pos < 0) {
    if (m.repeat === 'context' && m.order.length > 1) pos = m.order.length - 1;
    else return restart;
  }
  return { model: { ...m, pos, current: contextEntry(m, m.order[pos]) }, restart: false };
}

/**
 * Shuffle on: a random order that keeps the current context track first; it stays the same until
 * shuffle is toggled again. Shuffle off: the context order, continuing after the current track.
 */
export function toggleShuffle(m: QueueModel, random: Random = Math.random): QueueModel {
  if (m.shuffle) {
    const order = m.order.slice().sort((a, b) => a - b);
    const pos = m.pos < 0 ? -1 : order.indexOf(m.order[m.pos]);
    return { ...m, shuffle: false, order, pos };
  }
  return { ...m, shuffle: true, ...shuffleOrder(m.order, m.pos, random) };
}

const REPEAT_CYCLE: Record<RepeatMode, RepeatMode> = { off: 'context', context: 'track', track: 'off' };

export function cycleRepeat(m: QueueModel): QueueModel {
  return { ...m, repeat: REPEAT_CYCLE[m.repeat] };
}

export function setRepeat(m: QueueModel, repeat: RepeatMode): QueueModel {
  return { ...m, repeat };
}

/** "Add to queue": plays after the tracks already queued, before the rest of the context. */
export function addToQueue(m: QueueModel, track: PlayerTrack): QueueModel {
  return { ...m, userQueue: [...m.userQueue, { key: `q${m.nextKey}`, track }], nextKey: m.nextKey + 1 };
}

function validIndex(m: QueueModel, index: number): boolean {
  return Number.isInteger(index) && index >= 0 && index < m.userQueue.length + m.order.length - (m.pos + 1);
}

/**
 * Moves an upcoming entry (indices into upNext). A context entry moved into the user-queue part
 * becomes a queued entry; a queued entry moved past the user queue stays at the end of the user
 * queue (queued tracks always play before the rest of the context).
 */
export function moveInQueue(m: QueueModel, from: number, to: number): QueueModel {
  if (!validIndex(m, from) || !validIndex(m, to) || from === to) return m;
  const u = m.userQueue.length;
  const base = m.pos + 1;
  if (from < u) {
    const userQueue = m.userQueue.slice();
    const [entry] = userQueue.splice(from, 1);
    userQueue.splice(Math.min(to, u - 1), 0, entry);
    return { ...m, userQueue };
  }
  const order = m.order.slice();
  const [index] = order.splice(base + from - u, 1);
  if (to >= u) {
    order.splice(base + to - u, 0, index);
    return { ...m, order };
  }
  const userQueue = m.userQueue.slice();
  userQueue.splice(to, 0, contextEntry(m, index));
  return { ...m, order, userQueue };
}

/** Removes an upcoming entry (index into upNext). */
export function removeFromQueue(m: QueueModel, index: number): QueueModel {
  if (!validIndex(m, index)) return m;
  const u = m.userQueue.length;
  if (index < u) return { ...m, userQueue: m.userQueue.filter((_, i) => i !== index) };
  const order = m.order.slice();
  order.splice(m.pos + 1 + index - u, 1);
  return { ...m, order };
}

/**
 * Plays an upcoming entry now. A queued entry drops the queued entries before it; a context entry
 * skips the context up to it and keeps the user queue.
 */
export function playFromQueue(m: QueueModel, index: number): QueueModel {
  if (!validIndex(m, index)) return m;
  const u = m.userQueue.length;
  if (index < u) {
    return { ...m, current: m.userQueue[index], currentFromQueue: true, userQueue: m.userQueue.slice(index + 1) };
  }
  const pos = m.pos + 1 + index - u;
  return { ...m, pos, current: contextEntry(m, m.order[pos]), currentFromQueue: false };
}

/** With nothing current, makes the first upcoming entry current (e.g. after "Add to queue" on an empty player). */
export function ensureCurrent(m: QueueModel): QueueModel {
  if (m.current) return m;
  return next(m, false) ?? m;
}

/**
 * Appends tracks to the end of the context (a radio's next batch): they play after the rest of
 * the context, in the order given, shuffled or not. Nothing changes while another context plays.
 */
export function appendToContext(m: QueueModel, tracks: readonly PlayerTrack[], contextUri: string): QueueModel {
  if (tracks.length === 0 || m.contextUri !== contextUri) return m;
  const start = m.context.length;
  return {
    ...m,
    context: [...m.context, ...tracks],
    order: [...m.order, ...tracks.map((_, i) => start + i)],
  };
}
