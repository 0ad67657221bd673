// Playback events (track_start, track_end), and the home page's impressions and clicks, are
// batched and sent through the backend. Until the
// server has accepted them they live in localStorage, so an offline client, a closed tab or a
// failed request loses nothing: stored events are retried with backoff, when the browser comes back
// online, and when a player starts. navigator.sendBeacon cannot carry a bearer token, so the final
// flush on destroy() goes through the backend (which may use fetch keepalive).
//
// Delivery is at least once. Flushes are serialized across tabs with the Web Locks API when the
// browser has it: a flush reads the stored events, sends them and removes exactly those it sent.
import type { ClientEvent } from './types';

export const EVENTS_STORAGE_KEY = 'segue.player.pendingEvents';
const MAX_STORED = 1000;
const MAX_BATCH = 500;
const MIN_BACKOFF_MS = 5000;
const MAX_BACKOFF_MS = 5 * 60 * 1000;

interface StoredEvent { id: string; event: ClientEvent }

export interface EventReporterOptions {
  /** Delay between the first unsent event and the flush, so events close in time travel together. */
  batchDelayMs?: number;
  storage?: Storage | null;
}

function defaultStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

function isStoredEvent(v: unknown): v is StoredEvent {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as { id?: unknown; event?: unknown };
  if (typeof o.id !== 'string' || typeof o.event !== 'object' || o.event === null) return false;
  const e = o.event as { type?: unknown; track_id?: unknown; section_ids?: unknown; section?: unknown; item_uri?: unknown };
  if (e.type === 'home_impression') return Array.isArray(e.section_ids);
  if (e.type === 'home_click') return typeof e.section === 'string' && typeof e.item_uri === 'string';
  return typeof e.type === 'string' && typeof e.track_id === 'string';
}

/** The server refused the batch as malformed: sending it again cannot succeed. */
function isRejected(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const status = (err as { status?: unknown }).status;
  return status === 400 || status === 422;
}

let idCounter = 0;
function newId(): string {
  idCounter += 1;
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}-${idCounter}`;
}

export class EventReporter {
  private readonly storage: Storage | null;
  private readonly batchDelayMs: number;
  /** Used when localStorage is unavailable (private mode, quota). */
  private memory: StoredEvent[] = [];
  private storageFailed = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private flushing: Promise<void> | null = null;
  private again = false;
  private backoffMs = 0;
  private stopped = false;
  private readonly onOnline = () => this.schedule(0);

  constructor(private readonly send: (events: ClientEvent[]) => Promise<void>, options: EventReporterOptions = {}) {
    this.storage = options.storage === undefined ? defaultStorage() : options.storage;
    this.batchDelayMs = options.batchDelayMs ?? 2000;
  }

  /** Retries events left by an earlier session or tab. */
  start(): void {
    if (typeof window !== 'undefined') window.addEventListener('online', this.onOnline);
    if (this.read().length > 0) this.schedule(0);
  }

  record(event: ClientEvent): void {
    const all = this.read();
    all.push({ id: newId(), event });
    this.write(all.slice(-MAX_STORED));
    if (!this.stopped) this.schedule(this.backoffMs > 0 ? this.backoffMs : this.batchDelayMs);
  }

  /** Events not yet accepted by the server. */
  pending(): ClientEvent[] {
    return this.read().map((s) => s.event);
  }

  /** Sends what is stored now; resolves when done (successfully or not). */
  flush(): Promise<void> {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.flushing) {
      this.again = true;
      return this.flushing;
    }
    const run = async () => {
      const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
      if (locks && typeof locks.request === 'function') await locks.request('segue-player-events', () => this.sendStored());
      else await this.sendStored();
    };
    this.flushing = run()
      .catch(() => undefined)
      .finally(() => {
        this.flushing = null;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          this.schedule(0);
        }
      });
    return this.flushing;
  }

  /** Final flush (logout, teardown); stops timers and listeners. */
  destroy(): Promise<void> {
    this.stopped = true;
    if (typeof window !== 'undefined') window.removeEventListener('online', this.onOnline);
    const done = this.flush();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    return done;
  }

  private async sendStored(): Promise<void> {
    const batch = this.read().slice(0, MAX_BATCH);
    if (batch.length === 0) return;
    try {
      await this.send(batch.map((s) => s.event));
    } catch (err) {
      if (isRejected(err)) {
        console.warn('segue player: the server refused playback events; dropping them', err);
        this.remove(batch);
        return;
      }
      this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(MIN_BACKOFF_MS, this.backoffMs * 2));
      if (!this.stopped) this.schedule(this.backoffMs);
      return;
    }
    this.backoffMs = 0;
    this.remove(batch);
    if (this.read().length > 0) this.again = true;
  }

  private remove(sent: StoredEvent[]): void {
    const ids = new Set(sent.map((s) => s.id));
    this.write(this.read().filter((s) => !ids.has(s.id)));
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer !== null) {
      if (delayMs > 0) return; // a flush is already due; keep the batch together
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, delayMs);
  }

  private read(): StoredEvent[] {
    if (!this.storage || this.storageFailed) return this.memory.slice();
    try {
      const raw = this.storage.getItem(EVENTS_STORAGE_KEY);
      if (!raw) return [];
      const parsed: unknown = JSON.parse(raw);
      return Array.isArray(parsed) ? parsed.filter(isStoredEvent) : [];
    } catch {
      return this.memory.slice();
    }
  }

  private write(events: StoredEvent[]): void {
    this.memory = events;
    if (!this.storage) return;
    try {
      if (events.length === 0) this.storage.removeItem(EVENTS_STORAGE_KEY);
      else this.storage.setItem(EVENTS_STORAGE_KEY, JSON.stringify(events));
      this.storageFailed = false;
    } catch {
      // Quota or privacy mode: the in-memory copy still gets sent while this page lives.
      this.storageFailed = true;
    }
  }
}
