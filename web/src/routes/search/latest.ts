// Requests started one after another (one per keystroke) whose answers may arrive in any order:
// an answer is shown only when it is newer than the one on screen, so results never go
// backwards, and once an answer is shown the older requests still running are aborted.

export interface Started {
  seq: number;
  signal: AbortSignal;
}

export class LatestOnly {
  private started = 0;
  private shown = 0;
  private readonly running = new Map<number, AbortController>();

  /** A new request: its sequence number and the signal that aborts it. */
  start(): Started {
    const seq = ++this.started;
    const controller = new AbortController();
    this.running.set(seq, controller);
    return { seq, signal: controller.signal };
  }

  /**
   * Whether the answer to `seq` may be shown (it is newer than what is shown). When it may, it
   * becomes what is shown and every older request still running is aborted.
   */
  accept(seq: number): boolean {
    this.running.delete(seq);
    if (seq <= this.shown) return false;
    this.shown = seq;
    for (const [older, controller] of this.running) {
      if (older < seq) {
        controller.abort();
        this.running.delete(older);
      }
    }
    return true;
  }

  /** Whether a failure of `seq` should be shown: only the newest request's. */
  acceptFailure(seq: number): boolean {
    this.running.delete(seq);
    if (seq !== this.started || seq <= this.shown) return false;
    this.shown = seq;
    return true;
  }

  /** Aborts everything running and ignores every answer still to come (the input was cleared). */
  cancelAll(): void {
    for (const controller of this.running.values()) controller.abort();
    this.running.clear();
    this.shown = this.started;
  }

  /** How many requests are still running (for tests). */
  get pending(): number {
    return this.running.size;
  }
}
