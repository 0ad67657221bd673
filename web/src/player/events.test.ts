import { afterEach, describe, expect, it, vi } from 'vitest';
import { EVENTS_STORAGE_KEY, EventReporter } from './events';
import type { ClientEvent } from './types';

afterEach(() => localStorage.clear());

describe('EventReporter with home events', () => {
  const impression: ClientEvent = { type: 'home_impression', section_ids: ['made_for_you'], item_uris: ['segue:playlist:p1'], timestamp: 1 };
  const click: ClientEvent = { type: 'home_click', section: 'made_for_you', item_uri: 'segue:playlist:p1', rank: 0, timestamp: 2 };
  const start: ClientEvent = { type: 'track_start', track_id: 't1', position_ms: 0, timestamp: 3 };

  it('sends impressions and clicks in one batch with the playback events, in order', async () => {
    const sent: ClientEvent[][] = [];
    const reporter = new EventReporter(async (events) => { sent.push(events); }, { storage: localStorage, batchDelayMs: 60_000 });
    reporter.record(impression);
    reporter.record(click);
    reporter.record(start);
    await reporter.flush();
    expect(sent).toEqual([[impression, click, start]]);
    expect(reporter.pending()).toEqual([]);
  });

  it('keeps unsent home events across a reload and sends them on start', async () => {
    const failing = new EventReporter(() => Promise.reject(new Error('offline')), { storage: localStorage, batchDelayMs: 60_000 });
    failing.record(impression);
    failing.record(click);
    await failing.flush();
    await failing.destroy();
    expect(JSON.parse(localStorage.getItem(EVENTS_STORAGE_KEY)!)).toHaveLength(2);

    vi.useFakeTimers();
    try {
      const sent: ClientEvent[][] = [];
      const next = new EventReporter(async (events) => { sent.push(events); }, { storage: localStorage });
      next.start();
      await vi.runAllTimersAsync();
      expect(sent).toEqual([[impression, click]]);
      await next.destroy();
    } finally {
      vi.useRealTimers();
    }
  });

  it('drops stored entries that are not events it knows', () => {
    localStorage.setItem(EVENTS_STORAGE_KEY, JSON.stringify([
      { id: 'a', event: impression }, { id: 'b', event: { type: 'home_click', section: 'x' } }, { id: 'c', event: { type: 'track_end' } },
    ]));
    const reporter = new EventReporter(async () => undefined, { storage: localStorage });
    expect(reporter.pending()).toEqual([impression]);
  });
});
