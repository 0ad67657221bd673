// The playback engine: the Player the app drives (see types.ts).
//
// Two <audio> elements live hidden in document.body: the one playing (data-testid="audio-current")
// and the one preloading the next track (data-testid="audio-next"). When the current track is
// within PRELOAD_BEFORE_END_MS of its end, the engine asks the server for the next track's stream
// (POST /v1/me/player/play), points the spare element at it with preload="auto", and when the
// current track ends the two elements swap roles: the next track starts from its buffer, so the
// transition is near-gapless.
//
// Stream URLs carry a token that expires (expires_in). Recovery from a media error on the current
// element, in order: a renewed URL not applied yet; the next of stream_urls; one fresh play request
// (new token) resuming at the same position; then a worded error, and after a moment the next track.
//
// Token renewal. The server checks the token when a request starts; a response already streaming is
// not cut when the token expires. So shortly before the token expires — and only if it would expire
// before the track ends — the engine asks for a fresh token, and keeps the new URL in `freshUrl`
// instead of swapping the element's src (which would restart the media pipeline: an audible gap).
// The fresh URL is applied only when the element next needs the network or when it cannot be heard:
//   * at once if playback is paused (src swapped at the current position),
//   * on seek (a seek makes a new range request anyway),
//   * on `error` (the old token was refused) and `stalled`, resuming at the same position.
// While paused the engine does not renew on a timer; play() renews first if the token is due.
// No renewal either when the element already holds the rest of the track (el.buffered reaches the end).
// If anything slips through (the browser evicted its buffer, a renewal failed), the error path
// above asks for a fresh token; an expired token does not use up its one re-request.
import { EventReporter } from './events';
import { homeSourceFor } from './homeSource';
import { installMediaSession, setMediaMetadata, setMediaPlaybackState, setMediaPosition } from './mediasession';
import * as Q from './queue';
import { initialMachineState, transition, type MachineEvent, type MachineState } from './state';
import type { HomeEvent, PlaybackEvent, Player, PlayerBackend, PlayerQueueState, PlayerState, PlayerTrack, PlayResponse } from './types';

/**
 * The formats the server can offer (codec names, as in the play request's `formats`), with the
 * MIME type the browser is asked about, in order of preference: the server serves an original file
 * when one fits the tier's bitrate cap, and otherwise transcodes to the first of these it can make
 * (Vorbis as Spotify; AAC for browsers without Ogg, e.g. Safari).
 */
export const FORMAT_PROBES: readonly (readonly [string, string])[] = [
  ['vorbis', 'audio/ogg; codecs=vorbis'],
  ['opus', 'audio/ogg; codecs=opus'],
  ['aac', 'audio/mp4; codecs=mp4a.40.2'],
  ['mp3', 'audio/mpeg'],
  ['flac', 'audio/flac'],
  ['wav', 'audio/wav'],
];

export const PRELOAD_BEFORE_END_MS = 20_000;
/** Renew this long before the token expires (or a quarter of its lifetime, if shorter). */
export const RENEW_LEAD_MS = 15_000;
const SEEK_RESTORE_TOLERANCE_MS = 250;
const MOVE_ON_DELAY_MS = 1500;
const NOTICE_MS = 8000;
/** After this many tracks failed in a row, stop moving on. */
const MAX_CONSECUTIVE_FAILURES = 3;
/** A recovered stream that plays this long gets its "re-requested once" allowance back. */
const RECOVERY_RESET_MS = 10_000;
const VOLUME_KEY = 'segue.player.volume';

export type EndReason = 'trackdone' | 'fwdbtn' | 'backbtn' | 'clickrow' | 'endplay' | 'logout' | 'trackerror';

interface Slot {
  /** Replaced by a fresh element when reset, so that no stale currentSrc stays behind. */
  el: HTMLAudioElement;
  key: string | null;
  track: PlayerTrack | null;
  resp: PlayResponse | null;
  urlIndex: number;
  expiresAt: number;
  freshUrl: string | null;
  reRequested: boolean;
  recoveredAtMs: number;
  started: boolean;
  failed: boolean;
  /** Position to restore once metadata is known after an src change. */
  pendingSeekMs: number | null;
  gen: number;
  /** Counts src changes, so that a play() promise of an older src is ignored. */
  source: number;
}

export interface EngineOptions {
  random?: Q.Random;
  storage?: Storage | null;
  /** Delay before a batch of events is sent. */
  eventBatchDelayMs?: number;
  /** Extra: each playback event as it is recorded (a radio station learns skips from them). */
  onEvent?: (event: PlaybackEvent) => void;
}

function errorStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const status = (err as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

function describeError(err: unknown): string {
  if (err instanceof TypeError) return 'the server could not be reached';
  if (err instanceof Error && err.message) return err.message;
  return 'the server refused the request';
}

function describeMediaError(el: HTMLAudioElement): string {
  switch (el.error?.code) {
    case 2: return 'the network connection failed';
    case 3: return 'the audio could not be decoded';
    case 4: return 'the stream was refused or its format is not supported';
    default: return 'the stream failed';
  }
}

/** True when the element holds the media from the current position to the end: no more requests. */
function bufferedToEnd(el: HTMLAudioElement): boolean {
  const d = el.duration;
  if (!Number.isFinite(d) || d <= 0) return false;
  const ranges = el.buffered;
  for (let i = 0; i < ranges.length; i++) {
    if (ranges.start(i) <= el.currentTime + 0.5 && ranges.end(i) >= d - 0.5) return true;
  }
  return false;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

function safeStorage(s: Storage | null | undefined): Storage | null {
  if (s !== undefined) return s;
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

/** The formats this browser can play, best guess first; everything when it cannot tell (tests). */
export function supportedFormats(el: HTMLAudioElement): string[] {
  const formats = FORMAT_PROBES.filter(([, mime]) => {
    try {
      return el.canPlayType(mime) !== '';
    } catch {
      return false;
    }
  }).map(([name]) => name);
  return formats.length > 0 ? formats : FORMAT_PROBES.map(([name]) => name);
}

function contextNameFor(tracks: readonly PlayerTrack[], uri: string | null): string | null {
  if (!uri) return null;
  const [, kind, id] = uri.split(':');
  const first = tracks[0];
  if (!first) return null;
  if (kind === 'album') return first.album.id === id || !id ? first.album.name : null;
  if (kind === 'artist') return first.artists.find((a) => a.id === id)?.name ?? null;
  return null;
}

export class Engine implements Player {
  private readonly backend: PlayerBackend;
  private readonly random: Q.Random;
  private readonly storage: Storage | null;
  private readonly reporter: EventReporter;
  private readonly slots: [Slot, Slot];
  private curIdx = 0;
  private queue: Q.QueueModel = Q.emptyQueue();
  /** The playback events' source for the context playing (playTracks), e.g. "home:<section>". */
  private source: string | null = null;
  private machine: MachineState = initialMachineState;
  private positionMs = 0;
  private durationMs = 0;
  private volume = 1;
  private notice: string | null = null;
  private failures = 0;
  private gen = 0;
  private destroyed = false;
  private formats: string[] | null = null;
  private renewTimer: ReturnType<typeof setTimeout> | null = null;
  private moveOnTimer: ReturnType<typeof setTimeout> | null = null;
  private noticeTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly listeners = new Set<() => void>();
  private snapshot: PlayerState | null = null;
  private queueSnapshot: { model: Q.QueueModel; value: PlayerQueueState } | null = null;
  private readonly uninstallMediaSession: () => void;
  private readonly onPageHide = () => this.pageHidden();
  private readonly onEvent: ((event: PlaybackEvent) => void) | undefined;

  constructor(backend: PlayerBackend, options: EngineOptions = {}) {
    this.backend = backend;
    this.onEvent = options.onEvent;
    this.random = options.random ?? Math.random;
    this.storage = safeStorage(options.storage);
    this.volume = this.loadVolume();
    this.reporter = new EventReporter((events) => this.backend.sendEvents(events), {
      storage: this.storage,
      batchDelayMs: options.eventBatchDelayMs,
    });
    this.slots = [this.makeSlot('audio-current'), this.makeSlot('audio-next')];
    this.uninstallMediaSession = installMediaSession({
      play: () => this.play(),
      pause: () => this.pause(),
      previous: () => this.previous(),
      next: () => this.next(),
      seekTo: (ms) => this.seek(ms),
      seekBy: (delta) => this.seek(this.positionMs + delta),
    });
    window.addEventListener('pagehide', this.onPageHide);
    this.reporter.start();
  }

  // ---- Player: state ----

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  getState(): PlayerState {
    if (!this.snapshot) {
      const q = this.queue;
      if (!this.queueSnapshot || this.queueSnapshot.model !== q) {
        const up = Q.upNext(q);
        this.queueSnapshot = {
          model: q,
          value: {
            current: q.current?.track ?? null,
            upNext: up.map((e) => e.track),
            queued: q.userQueue.length,
            keys: up.map((e) => e.key),
            contextUri: q.contextUri,
            contextName: q.contextName,
          },
        };
      }
      this.snapshot = {
        status: this.machine.status,
        track: q.current?.track ?? null,
        positionMs: this.positionMs,
        durationMs: this.durationMs,
        volume: this.volume,
        shuffle: q.shuffle,
        repeat: q.repeat,
        queue: this.queueSnapshot.value,
        error: this.machine.error ?? this.notice,
      };
    }
    return this.snapshot;
  }

  // ---- Player: commands ----

  playTracks(tracks: PlayerTrack[], startIndex: number, contextUri?: string, contextName?: string, source?: string): void {
    if (this.destroyed) return;
    this.userAction();
    this.endTrack('clickrow');
    const uri = contextUri ?? null;
    // After endTrack: the track that ends keeps the source of the context it was played in.
    this.source = source ?? homeSourceFor(uri);
    this.queue = Q.setContext(this.queue, tracks, startIndex, uri, contextName ?? contextNameFor(tracks, uri), this.random);
    this.failures = 0;
    this.loadCurrent(true);
  }

  appendToContext(tracks: PlayerTrack[], contextUri: string): boolean {
    if (this.destroyed) return false;
    const appended = Q.appendToContext(this.queue, tracks, contextUri);
    if (appended === this.queue) return false;
    this.setQueue(appended);
    return true;
  }

  toggle(): void {
    const s = this.machine;
    if (s.status === 'playing' || (s.status === 'loading' && s.autoplay)) this.pause();
    else this.play();
  }

  play(): void {
    if (this.destroyed) return;
    this.userAction();
    const cur = this.cur;
    switch (this.machine.status) {
      case 'paused':
        this.dispatch({ type: 'play' });
        if (cur.resp && cur.freshUrl === null && cur.expiresAt - Date.now() < this.renewLead(cur) && !bufferedToEnd(cur.el)) {
          // The token lapsed while paused: resume from a fresh URL rather than wait for an error.
          this.renew(cur, true);
        } else {
          this.playElement(cur);
          this.scheduleRenewal();
        }
        break;
      case 'loading':
        this.dispatch({ type: 'play' });
        if (cur.resp) this.playElement(cur);
        break;
      case 'error':
        this.retry();
        return;
      case 'idle':
        if (!this.queue.current) this.queue = Q.ensureCurrent(this.queue);
        if (this.queue.current) this.loadCurrent(true);
        return;
      case 'playing':
        return;
    }
    this.changed();
  }

  pause(): void {
    if (this.destroyed) return;
    this.userAction();
    this.dispatch({ type: 'pause' });
    const el = this.cur.el;
    el.pause();
    // Paused while loading with the media already known: nothing else will say it is loaded.
    if (this.machine.status === 'loading' && this.cur.resp && el.readyState >= 1) this.dispatch({ type: 'loaded' });
    this.changed();
  }

  next(): void {
    if (this.destroyed || !this.queue.current) return;
    this.userAction();
    this.endTrack('fwdbtn');
    const moved = Q.next(this.queue, false);
    if (!moved) {
      this.queue = Q.rewind(this.queue);
      this.loadCurrent(false);
      return;
    }
    this.queue = moved;
    this.loadCurrent(true);
  }

  previous(): void {
    if (this.destroyed || !this.queue.current) return;
    this.userAction();
    const { model, restart } = Q.previous(this.queue, this.positionMs);
    if (restart) {
      this.restartTrack('backbtn');
      return;
    }
    this.endTrack('backbtn');
    this.queue = model;
    this.loadCurrent(true);
  }

  seek(ms: number): void {
    const cur = this.cur;
    if (this.destroyed || !cur.resp || !Number.isFinite(ms)) return;
    const target = clamp(ms, 0, this.durationMs > 0 ? this.durationMs : Number.MAX_SAFE_INTEGER);
    if (cur.freshUrl !== null) {
      this.applyFreshUrl(cur, target);
    } else {
      cur.el.currentTime = target / 1000;
    }
    this.positionMs = target;
    this.maybePreload();
    if (this.renewTimer === null) this.scheduleRenewal();
    setMediaPosition(this.positionMs, this.durationMs);
    this.changed();
  }

  setVolume(volume: number): void {
    if (!Number.isFinite(volume)) return;
    this.volume = clamp(volume, 0, 1);
    try {
      this.storage?.setItem(VOLUME_KEY, String(this.volume));
    } catch {
      // not persisted; fine
    }
    for (const slot of this.slots) this.applyVolume(slot);
    this.changed();
  }

  toggleShuffle(): void {
    this.setQueue(Q.toggleShuffle(this.queue, this.random));
  }

  cycleRepeat(): void {
    this.setQueue(Q.cycleRepeat(this.queue));
  }

  addToQueue(track: PlayerTrack): void {
    if (this.destroyed) return;
    const added = Q.addToQueue(this.queue, track);
    if (!added.current) {
      this.queue = Q.ensureCurrent(added);
      this.loadCurrent(false);
      return;
    }
    this.setQueue(added);
  }

  moveInQueue(from: number, to: number): void {
    this.setQueue(Q.moveInQueue(this.queue, from, to));
  }

  removeFromQueue(index: number): void {
    this.setQueue(Q.removeFromQueue(this.queue, index));
  }

  playFromQueue(index: number): void {
    if (this.destroyed) return;
    const moved = Q.playFromQueue(this.queue, index);
    if (moved === this.queue) return;
    this.userAction();
    this.endTrack('clickrow');
    this.queue = moved;
    this.loadCurrent(true);
  }

  retry(): void {
    if (this.destroyed || !this.queue.current) return;
    this.cancelMoveOn();
    this.failures = 0;
    this.notice = null;
    this.loadCurrent(true, this.positionMs);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.endTrack('logout');
    this.destroyed = true;
    this.gen++;
    this.clearTimers();
    for (const slot of this.slots) {
      this.resetSlot(slot);
      slot.el.remove();
    }
    this.machine = transition(this.machine, { type: 'stop' });
    window.removeEventListener('pagehide', this.onPageHide);
    this.uninstallMediaSession();
    void this.reporter.destroy();
    this.changed();
  }

  // ---- internals: elements and slots ----

  private get cur(): Slot {
    return this.slots[this.curIdx];
  }

  private get spare(): Slot {
    return this.slots[1 - this.curIdx];
  }

  private makeSlot(testId: string): Slot {
    const slot: Slot = {
      el: this.makeElement(testId), key: null, track: null, resp: null, urlIndex: 0, expiresAt: 0, freshUrl: null,
      reRequested: false, recoveredAtMs: 0, started: false, failed: false, pendingSeekMs: null, gen: 0, source: 0,
    };
    this.attach(slot, slot.el);
    document.body.appendChild(slot.el);
    return slot;
  }

  private makeElement(testId: string): HTMLAudioElement {
    const el = document.createElement('audio');
    el.setAttribute('data-testid', testId);
    el.preload = 'none';
    el.hidden = true;
    return el;
  }

  private attach(slot: Slot, el: HTMLAudioElement): void {
    const on = (type: string, fn: () => void) => el.addEventListener(type, () => {
      // Events of an element this slot no longer uses (replaced on reset) are ignored.
      if (!this.destroyed && slot.el === el) fn();
    });
    on('playing', () => this.onPlaying(slot));
    on('pause', () => this.onPause(slot));
    on('ended', () => this.onEnded(slot));
    on('timeupdate', () => this.onTimeUpdate(slot));
    on('loadedmetadata', () => this.onMetadata(slot));
    on('durationchange', () => this.onMetadata(slot));
    on('canplay', () => this.onCanPlay(slot));
    on('error', () => this.onMediaError(slot));
    on('stalled', () => this.onStalled(slot));
  }

  /**
   * Forgets the slot's track. An element that had a source is replaced by a fresh one: browsers
   * keep currentSrc after the src attribute is removed, and a stale URL on "audio-next" would
   * misinform anyone looking (tests, devtools); dropping the old element also ends its download.
   */
  private resetSlot(slot: Slot): void {
    slot.gen++;
    slot.key = null;
    slot.track = null;
    slot.resp = null;
    slot.urlIndex = 0;
    slot.expiresAt = 0;
    slot.freshUrl = null;
    slot.reRequested = false;
    slot.started = false;
    slot.failed = false;
    slot.pendingSeekMs = null;
    slot.source++;
    const el = slot.el;
    try {
      el.pause();
    } catch {
      // not implemented (tests)
    }
    if (!el.hasAttribute('src')) return;
    if (!this.destroyed && el.isConnected) {
      const fresh = this.makeElement(el.getAttribute('data-testid') ?? 'audio-next');
      slot.el = fresh;
      this.attach(slot, fresh);
      el.replaceWith(fresh);
    }
    el.removeAttribute('src');
    try {
      el.load(); // aborts the download of the old stream
    } catch {
      // not implemented (tests)
    }
  }

  private setSource(slot: Slot, url: string, positionMs: number): void {
    const el = slot.el;
    slot.source++;
    el.preload = 'auto';
    el.src = url;
    slot.pendingSeekMs = positionMs > 0 ? positionMs : null;
    if (positionMs > 0) {
      // Before metadata this sets the default start position; onMetadata makes sure it stuck.
      try {
        el.currentTime = positionMs / 1000;
      } catch {
        // some browsers refuse before metadata; onMetadata retries
      }
    }
  }

  private playElement(slot: Slot): void {
    let result: Promise<void> | undefined;
    try {
      result = slot.el.play();
    } catch {
      return;
    }
    if (!result || typeof result.catch !== 'function') return;
    const source = slot.source;
    result.catch((err: unknown) => {
      if (slot !== this.cur || this.destroyed || source !== slot.source) return; // an older src
      // Only a refused autoplay (no user gesture yet) matters here. AbortError (src changed) and
      // NotSupportedError (the stream failed) are handled by the element's `error` event.
      if (!(err instanceof DOMException) || err.name !== 'NotAllowedError') return;
      // Wait, paused, for the user to press Play.
      this.dispatch({ type: 'pause' });
      if (slot.el.readyState >= 1) this.dispatch({ type: 'loaded' });
      this.changed();
    });
  }

  private applyVolume(slot: Slot): void {
    // The server's own loudness analysis wins over ReplayGain tags; an album played as an
    // album keeps its internal dynamics (album gain). An <audio> element's volume tops out at 1:
    // a positive gain (a quiet master) is applied only as far as the user's volume leaves room.
    const norm = slot.resp?.normalization;
    const rg = slot.resp?.replay_gain;
    const preferAlbum = (this.queue.contextUri ?? '').includes(':album:');
    const db = norm
      ? (preferAlbum ? norm.album_gain_db : norm.track_gain_db)
      : rg ? (preferAlbum ? rg.album_gain_db ?? rg.track_gain_db : rg.track_gain_db ?? rg.album_gain_db) : undefined;
    const factor = typeof db === 'number' && Number.isFinite(db) ? 10 ** (db / 20) : 1;
    slot.el.volume = clamp(this.volume * factor, 0, 1);
  }

  private loadVolume(): number {
    try {
      const raw = this.storage?.getItem(VOLUME_KEY);
      const v = raw == null || raw === '' ? NaN : Number(raw);
      return Number.isFinite(v) ? clamp(v, 0, 1) : 1;
    } catch {
      return 1;
    }
  }

  private playFormats(): string[] {
    if (!this.formats) this.formats = supportedFormats(this.cur.el);
    return this.formats;
  }

  private requestPlay(track: PlayerTrack): Promise<PlayResponse> {
    return this.backend.play(track.id, this.playFormats()).then((resp) => {
      if (!resp || !Array.isArray(resp.stream_urls) || resp.stream_urls.length === 0) {
        throw new Error('the server sent no stream for it');
      }
      return resp;
    });
  }

  private take(slot: Slot, resp: PlayResponse): void {
    slot.resp = resp;
    slot.urlIndex = 0;
    slot.freshUrl = null;
    slot.expiresAt = Date.now() + Math.max(0, resp.expires_in) * 1000;
  }

  // ---- internals: loading, transitions ----

  /** Loads queue.current into the current element (or swaps in the preloaded one). */
  private loadCurrent(autoplay: boolean, startMs = 0): void {
    this.cancelMoveOn();
    this.clearRenewTimer();
    const gen = ++this.gen;
    const entry = this.queue.current;
    const spare = this.spare;
    if (!entry) {
      this.resetSlot(this.cur);
      this.resetSlot(spare);
      this.machine = transition(this.machine, { type: 'stop' });
      this.positionMs = 0;
      this.durationMs = 0;
      setMediaMetadata(null);
      setMediaPlaybackState('idle');
      this.changed();
      return;
    }
    this.positionMs = startMs;
    this.durationMs = entry.track.duration_ms;
    this.dispatch({ type: 'load', autoplay });
    setMediaMetadata(entry.track);

    const preloaded = spare.key === entry.key && spare.track?.id === entry.track.id && spare.resp !== null &&
      !spare.failed && spare.expiresAt - Date.now() > this.renewLead(spare) && startMs === 0;
    if (preloaded) {
      this.resetSlot(this.cur);
      this.curIdx = 1 - this.curIdx;
      this.cur.el.setAttribute('data-testid', 'audio-current');
      this.spare.el.setAttribute('data-testid', 'audio-next');
      const cur = this.cur;
      cur.started = false;
      if (cur.resp) this.durationMs = cur.resp.duration_ms || this.durationMs;
      this.applyVolume(cur);
      if (cur.el.readyState >= 1) this.dispatch({ type: 'loaded' });
      if (autoplay) this.playElement(cur);
      this.scheduleRenewal();
      this.changed();
      return;
    }

    this.resetSlot(spare);
    const cur = this.cur;
    this.resetSlot(cur);
    cur.key = entry.key;
    cur.track = entry.track;
    const slotGen = cur.gen;
    this.changed();
    this.requestPlay(entry.track).then(
      (resp) => {
        if (gen !== this.gen || slotGen !== cur.gen || this.destroyed) return;
        this.take(cur, resp);
        if (resp.duration_ms > 0) this.durationMs = resp.duration_ms;
        this.applyVolume(cur);
        this.setSource(cur, resp.stream_urls[0], startMs);
        if (this.machine.status === 'loading' && this.machine.autoplay) this.playElement(cur);
        this.scheduleRenewal();
        this.changed();
      },
      (err: unknown) => {
        if (gen !== this.gen || slotGen !== cur.gen || this.destroyed) return;
        const status = errorStatus(err);
        // A track the server will not stream (gone, no playable format): move on. Anything else
        // (offline, server error, expired session) would fail for the next track too: stay and offer Retry.
        const moveOn = status !== undefined && status >= 400 && status < 500 && status !== 401 && status !== 429;
        this.fail(`Could not play “${entry.track.name}”: ${describeError(err)}.`, moveOn);
      },
    );
  }

  /** The current track failed for good: say so and, unless too many failed in a row, move on. */
  private fail(message: string, moveOn: boolean): void {
    const cur = this.cur;
    this.clearRenewTimer();
    this.endTrack('trackerror');
    try {
      cur.el.pause();
    } catch {
      // not implemented (tests)
    }
    this.dispatch({ type: 'error', message });
    this.failures++;
    this.setNotice(message);
    if (moveOn && this.failures < MAX_CONSECUTIVE_FAILURES && Q.next(this.queue, false)) {
      this.moveOnTimer = setTimeout(() => {
        this.moveOnTimer = null;
        const moved = Q.next(this.queue, false);
        if (!moved) return;
        this.queue = moved;
        this.loadCurrent(true);
      }, MOVE_ON_DELAY_MS);
    }
    this.changed();
  }

  private restartTrack(reason: EndReason): void {
    const cur = this.cur;
    const wasStarted = cur.started;
    this.endTrack(reason);
    this.positionMs = 0;
    if (cur.resp) {
      if (cur.freshUrl !== null) this.applyFreshUrl(cur, 0);
      else cur.el.currentTime = 0;
    }
    if (wasStarted && this.machine.status === 'playing') {
      cur.started = true;
      this.record('track_start', cur, 0);
    }
    setMediaPosition(0, this.durationMs);
    this.changed();
  }

  /** Reports the end of the current track, if its start was reported. */
  private endTrack(reason: EndReason): void {
    const cur = this.cur;
    if (!cur.track || !cur.started) return;
    cur.started = false;
    let position = this.positionMs;
    if (reason === 'trackdone') position = Math.max(position, this.durationMs);
    const skip = reason === 'fwdbtn' || reason === 'backbtn' || reason === 'clickrow' || reason === 'trackerror';
    this.record('track_end', cur, position, { reason, skip });
  }

  recordEvent(event: HomeEvent): void {
    if (this.destroyed) return;
    this.reporter.record(event);
  }

  private record(type: 'track_start' | 'track_end', slot: Slot, positionMs: number, extra: { reason?: string; skip?: boolean } = {}): void {
    if (!slot.track) return;
    const event: PlaybackEvent = {
      type,
      track_id: slot.track.id,
      position_ms: Math.max(0, Math.round(positionMs)),
      timestamp: Date.now(),
      ...extra,
    };
    if (this.queue.contextUri) event.context_uri = this.queue.contextUri;
    if (this.source) event.source = this.source;
    this.reporter.record(event);
    this.onEvent?.(event);
  }

  // ---- internals: element events ----

  private onPlaying(slot: Slot): void {
    if (slot !== this.cur) return;
    this.dispatch({ type: 'playing' });
    if (!slot.started && slot.track) {
      slot.started = true;
      this.record('track_start', slot, 0);
    }
    this.failures = 0;
    setMediaPlaybackState(this.machine.status, this.machine.autoplay);
    setMediaPosition(this.positionMs, this.durationMs);
    this.maybePreload();
    this.changed();
  }

  private onPause(slot: Slot): void {
    // Only a pause nobody here asked for (e.g. the OS took the audio): not the end of the track,
    // not an src change (status is loading then), not an old element.
    if (slot !== this.cur || slot.el.ended || this.machine.status !== 'playing') return;
    if (slot.pendingSeekMs !== null) return;
    this.dispatch({ type: 'pause' });
    setMediaPlaybackState(this.machine.status, this.machine.autoplay);
    this.changed();
  }

  private onEnded(slot: Slot): void {
    if (slot !== this.cur) return;
    this.positionMs = Math.max(this.positionMs, this.durationMs);
    this.endTrack('trackdone');
    this.dispatch({ type: 'ended' });
    const moved = Q.next(this.queue, true);
    if (moved === this.queue) {
      // Repeat one: the same element from the start; track_start is sent again on `playing`.
      this.positionMs = 0;
      slot.el.currentTime = 0;
      this.dispatch({ type: 'load', autoplay: true });
      this.playElement(slot);
      this.changed();
      return;
    }
    if (!moved) {
      // End of the context with repeat off: stop, paused on its first track (as Spotify does).
      this.queue = Q.rewind(this.queue);
      this.loadCurrent(false);
      return;
    }
    this.queue = moved;
    this.loadCurrent(true);
  }

  private onTimeUpdate(slot: Slot): void {
    if (slot !== this.cur || !slot.resp) return;
    if (slot.pendingSeekMs !== null) return; // the element reports 0 until the restored position sticks
    this.positionMs = slot.el.currentTime * 1000;
    if (slot.reRequested && this.positionMs - slot.recoveredAtMs > RECOVERY_RESET_MS) slot.reRequested = false;
    this.maybePreload();
    this.changed();
  }

  private onMetadata(slot: Slot): void {
    if (slot !== this.cur) return;
    const el = slot.el;
    if (Number.isFinite(el.duration) && el.duration > 0) this.durationMs = el.duration * 1000;
    if (slot.pendingSeekMs !== null) {
      const want = slot.pendingSeekMs;
      slot.pendingSeekMs = null;
      if (Math.abs(el.currentTime * 1000 - want) > SEEK_RESTORE_TOLERANCE_MS) el.currentTime = want / 1000;
      this.positionMs = want;
    }
    if (this.machine.status === 'loading' && !this.machine.autoplay) this.dispatch({ type: 'loaded' });
    setMediaPosition(this.positionMs, this.durationMs);
    this.changed();
  }

  private onCanPlay(slot: Slot): void {
    if (slot !== this.cur) return;
    if (this.machine.status === 'loading' && !this.machine.autoplay) {
      this.dispatch({ type: 'loaded' });
      this.changed();
    }
  }

  private onStalled(slot: Slot): void {
    if (slot === this.cur && slot.freshUrl !== null) this.applyFreshUrl(slot, this.positionMs);
  }

  private onMediaError(slot: Slot): void {
    const el = slot.el;
    if (!slot.resp || !el.getAttribute('src') || !slot.track) return; // not one of our streams
    if (slot !== this.cur) {
      // The preload failed: forget it; the track is loaded the normal way when its turn comes.
      slot.failed = true;
      return;
    }
    const position = slot.pendingSeekMs ?? this.positionMs;
    if (slot.freshUrl !== null) {
      this.applyFreshUrl(slot, position);
      return;
    }
    if (slot.urlIndex + 1 < slot.resp.stream_urls.length && Date.now() < slot.expiresAt) {
      slot.urlIndex++;
      this.setSource(slot, slot.resp.stream_urls[slot.urlIndex], position);
      if (this.wantsToPlay()) this.playElement(slot);
      return;
    }
    const expired = Date.now() >= slot.expiresAt;
    if (!slot.reRequested || expired) {
      // One fresh play request (new token), resuming where it stopped. An expired token does not
      // use up that one chance: it is the normal outcome of a long pause.
      if (!expired) slot.reRequested = true;
      slot.recoveredAtMs = position;
      const gen = this.gen;
      const slotGen = slot.gen;
      const track = slot.track;
      this.requestPlay(track).then(
        (resp) => {
          if (gen !== this.gen || slotGen !== slot.gen || this.destroyed) return;
          this.take(slot, resp);
          slot.reRequested = true;
          this.setSource(slot, resp.stream_urls[0], position);
          if (this.wantsToPlay()) this.playElement(slot);
          this.scheduleRenewal();
        },
        (err: unknown) => {
          if (gen !== this.gen || slotGen !== slot.gen || this.destroyed) return;
          this.fail(`Could not play “${track.name}”: ${describeError(err)}.`, true);
        },
      );
      return;
    }
    this.fail(`Could not play “${slot.track.name}”: ${describeMediaError(el)}.`, true);
  }

  private wantsToPlay(): boolean {
    return this.machine.status === 'playing' || (this.machine.status === 'loading' && this.machine.autoplay);
  }

  // ---- internals: preloading ----

  private maybePreload(): void {
    const spare = this.spare;
    const cur = this.cur;
    if (spare.track || this.machine.status !== 'playing' || !cur.resp) return;
    if (this.durationMs - this.positionMs > PRELOAD_BEFORE_END_MS) return;
    const entry = Q.peekNext(this.queue, true);
    if (!entry || (entry.key === cur.key && entry.track.id === cur.track?.id)) return; // repeat one: nothing to preload
    spare.key = entry.key;
    spare.track = entry.track;
    const slotGen = spare.gen;
    this.requestPlay(entry.track).then(
      (resp) => {
        if (slotGen !== spare.gen || this.destroyed) return;
        this.take(spare, resp);
        this.applyVolume(spare);
        spare.source++;
        spare.el.preload = 'auto';
        spare.el.src = resp.stream_urls[0];
      },
      () => {
        if (slotGen !== spare.gen) return;
        spare.failed = true; // loaded the normal way at the transition
      },
    );
  }

  /** After a queue edit: drop a preload that is no longer what plays next. */
  private revalidatePreload(): void {
    const spare = this.spare;
    if (!spare.track) return;
    const entry = Q.peekNext(this.queue, true);
    if (!entry || entry.key !== spare.key || entry.track.id !== spare.track.id) this.resetSlot(spare);
    this.maybePreload();
  }

  // ---- internals: token renewal ----

  private renewLead(slot: Slot): number {
    const lifetime = (slot.resp?.expires_in ?? 0) * 1000;
    return Math.min(RENEW_LEAD_MS, lifetime / 4);
  }

  private scheduleRenewal(): void {
    this.clearRenewTimer();
    const cur = this.cur;
    if (!cur.resp || this.destroyed) return;
    // A token that outlives the rest of the track needs no renewal (play() and seek() look again).
    if (cur.expiresAt > Date.now() + Math.max(0, this.durationMs - this.positionMs) + 1000) return;
    const delay = Math.max(0, cur.expiresAt - this.renewLead(cur) - Date.now());
    const gen = this.gen;
    const slotGen = cur.gen;
    this.renewTimer = setTimeout(() => {
      this.renewTimer = null;
      if (gen === this.gen && slotGen === cur.gen) this.renew(cur, false);
    }, delay);
  }

  /**
   * Asks for a fresh token for the current track. `resume`: called from play() after a pause
   * during which the token lapsed; the fresh URL is applied and playback starts.
   */
  private renew(slot: Slot, resume: boolean): void {
    if (slot !== this.cur || !slot.track || !slot.resp) return;
    const remainingMs = Math.max(0, this.durationMs - this.positionMs);
    if (!resume) {
      if (!this.wantsToPlay()) return; // paused: play() renews if needed
      if (slot.expiresAt > Date.now() + remainingMs + 1000) return; // the token outlives the track
      if (bufferedToEnd(slot.el)) return; // the whole rest is downloaded: no request will need it
    }
    const gen = this.gen;
    const slotGen = slot.gen;
    this.requestPlay(slot.track).then(
      (resp) => {
        if (gen !== this.gen || slotGen !== slot.gen || this.destroyed) return;
        const urlIndex = slot.urlIndex;
        this.take(slot, resp);
        slot.urlIndex = Math.min(urlIndex, resp.stream_urls.length - 1);
        slot.freshUrl = resp.stream_urls[slot.urlIndex];
        if (resume || this.machine.status === 'paused') this.applyFreshUrl(slot, this.positionMs);
        this.scheduleRenewal();
      },
      () => {
        if (gen !== this.gen || slotGen !== slot.gen || this.destroyed) return;
        if (resume) {
          this.playElement(slot); // the error path will try again
          return;
        }
        // Try again in a while, as long as the old token is still good.
        if (Date.now() + 5000 < slot.expiresAt) {
          this.renewTimer = setTimeout(() => {
            this.renewTimer = null;
            if (gen === this.gen && slotGen === slot.gen) this.renew(slot, false);
          }, 5000);
        }
      },
    );
  }

  /** Points the element at the renewed URL at `positionMs`, playing on if it should. */
  private applyFreshUrl(slot: Slot, positionMs: number): void {
    const url = slot.freshUrl;
    if (url === null) return;
    slot.freshUrl = null;
    this.setSource(slot, url, positionMs);
    if (this.wantsToPlay()) this.playElement(slot);
  }

  // ---- internals: bookkeeping ----

  private setQueue(model: Q.QueueModel): void {
    if (this.destroyed || model === this.queue) return;
    this.queue = model;
    this.revalidatePreload();
    this.changed();
  }

  private dispatch(e: MachineEvent): void {
    const next = transition(this.machine, e);
    if (next !== this.machine) {
      this.machine = next;
      setMediaPlaybackState(next.status, next.autoplay);
    }
  }

  private userAction(): void {
    // A new action by the user: an old error notice is no longer news.
    if (this.machine.status !== 'error') this.clearNotice();
  }

  private setNotice(message: string): void {
    this.notice = message;
    if (this.noticeTimer !== null) clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => {
      this.noticeTimer = null;
      this.notice = null;
      this.changed();
    }, NOTICE_MS);
  }

  private clearNotice(): void {
    if (this.noticeTimer !== null) clearTimeout(this.noticeTimer);
    this.noticeTimer = null;
    this.notice = null;
  }

  private cancelMoveOn(): void {
    if (this.moveOnTimer !== null) clearTimeout(this.moveOnTimer);
    this.moveOnTimer = null;
  }

  private clearRenewTimer(): void {
    if (this.renewTimer !== null) clearTimeout(this.renewTimer);
    this.renewTimer = null;
  }

  private clearTimers(): void {
    this.cancelMoveOn();
    this.clearRenewTimer();
    this.clearNotice();
  }

  private pageHidden(): void {
    // The page may be going away: report where the track stopped (stored until sent) and try to send.
    const cur = this.cur;
    if (cur.started) {
      this.endTrack('endplay');
      void this.reporter.flush();
    }
  }

  private changed(): void {
    this.snapshot = null;
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (err) {
        console.error('segue player: a state listener failed', err);
      }
    }
  }
}

export function createPlayer(backend: PlayerBackend, options?: EngineOptions): Player {
  return new Engine(backend, options);
}
