// Radio (issue 18): an endless context "segue:radio:<seed uri>" whose queue the server refills.
// The server keeps no state: this station remembers what it played through and what was skipped
// early (in the first 30 s), sends them with each request for more, and appends each batch to
// the player's context when fewer than REFILL_BELOW tracks of it remain.
import type { PlaybackEvent, Player, PlayerTrack } from './types';

export const RADIO_PREFIX = 'segue:radio:';
/** Skipped before this position: an early skip, which pushes the artist down for the station. */
export const EARLY_SKIP_MS = 30_000;
export const REFILL_BELOW = 3;
export const BATCH = 10;
/** The history sent to the server: its newest entries only. */
export const MAX_HISTORY = 200;

export interface RadioRequest { seed: string; played: string[]; skipped: string[]; queued: string[]; limit: number }
export interface RadioBatch { context_uri: string; tracks: PlayerTrack[] }
export type FetchRadio = (request: RadioRequest) => Promise<RadioBatch>;

export function isRadioUri(uri: string | null | undefined): boolean {
  return !!uri && uri.startsWith(RADIO_PREFIX);
}

export class RadioStation {
  private contextUri: string | null = null;
  private seed = '';
  private played: string[] = [];
  private skipped: string[] = [];
  private fetching = false;
  private generation = 0;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly player: Player, private readonly fetchRadio: FetchRadio) {
    this.unsubscribe = player.subscribe(() => this.maybeRefill());
  }

  /** The station playing, or null. */
  get current(): string | null { return this.contextUri; }

  /** Starts a radio from a track, artist, album or playlist URI; resolves once it plays. */
  async start(seedUri: string, name: string): Promise<void> {
    const generation = ++this.generation;
    this.seed = seedUri;
    this.played = [];
    this.skipped = [];
    this.fetching = true;
    try {
      const batch = await this.fetchRadio({ seed: seedUri, played: [], skipped: [], queued: [], limit: BATCH });
      if (generation !== this.generation) return;
      if (batch.tracks.length === 0) throw new Error('This radio has nothing to play yet');
      this.contextUri = batch.context_uri;
      this.player.playTracks(batch.tracks, 0, batch.context_uri, `${name} Radio`);
    } finally {
      if (generation === this.generation) this.fetching = false;
    }
  }

  /** Feeds the player's events (all of them; those of other contexts are ignored). */
  observe(events: readonly PlaybackEvent[]): void {
    for (const e of events) {
      if (e.type !== 'track_end' || !this.contextUri || e.context_uri !== this.contextUri) continue;
      const early = e.skip === true && (e.position_ms ?? 0) < EARLY_SKIP_MS;
      push(early ? this.skipped : this.played, e.track_id);
    }
  }

  /** What the station has heard so far (for tests and the queue view). */
  history(): { played: string[]; skipped: string[] } {
    return { played: this.played.slice(), skipped: this.skipped.slice() };
  }

  destroy(): void {
    this.generation++;
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private maybeRefill(): void {
    const q = this.player.getState().queue;
    if (!this.contextUri || q.contextUri !== this.contextUri) {
      // Another context took over: this station is over.
      if (this.contextUri && q.contextUri !== this.contextUri) this.contextUri = null;
      return;
    }
    const remaining = q.upNext.length - q.queued;
    if (this.fetching || remaining >= REFILL_BELOW) return;
    void this.refill(q.upNext.slice(q.queued).map((t) => t.id).concat(q.current ? [q.current.id] : []));
  }

  private async refill(queued: string[]): Promise<void> {
    const generation = this.generation;
    const uri = this.contextUri!;
    this.fetching = true;
    try {
      const batch = await this.fetchRadio({ seed: this.seed, played: this.played.slice(), skipped: this.skipped.slice(), queued, limit: BATCH });
      if (generation !== this.generation) return;
      const fresh = batch.tracks.filter((t) => !queued.includes(t.id));
      if (fresh.length > 0) this.player.appendToContext(fresh, uri);
    } catch {
      // Offline or the server failed: the next change of the player's state asks again.
    } finally {
      if (generation === this.generation) {
        // Let a later state change retry, but not in a tight loop on a failing server.
        setTimeout(() => { if (generation === this.generation) this.fetching = false; }, 2_000);
      }
    }
  }
}

function push(list: string[], id: string) {
  list.push(id);
  if (list.length > MAX_HISTORY) list.splice(0, list.length - MAX_HISTORY);
}
