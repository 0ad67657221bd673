import { describe, expect, it } from 'vitest';
import { untilReady } from './ready';
import type { PlayResponse } from './types';

function resp(ready: boolean | undefined, retry_after?: number): PlayResponse {
  return { stream_urls: ['/audio/f?token=t'], file_id: 'f', token: 't', expires_in: 3600, format: 'vorbis',
    mime_type: 'audio/ogg', duration_ms: 1000, ready, retry_after };
}

describe('untilReady', () => {
  it('returns a ready (or pre-transcoding server) response at once', async () => {
    const sleeps: number[] = [];
    let calls = 0;
    const sleep = async (ms: number) => { sleeps.push(ms); };
    await untilReady(async () => { calls++; return resp(undefined); }, sleep);
    await untilReady(async () => { calls++; return resp(true); }, sleep);
    expect(calls).toBe(2);
    expect(sleeps).toEqual([]);
  });

  it('asks again after retry_after seconds until the transcode is ready', async () => {
    const answers = [resp(false, 2), resp(false, 1), resp(true)];
    const sleeps: number[] = [];
    const r = await untilReady(async () => answers.shift()!, async (ms) => { sleeps.push(ms); });
    expect(r.ready).toBe(true);
    expect(sleeps).toEqual([2000, 1000]);
  });

  it('gives up waiting after the limit and returns the last answer', async () => {
    const sleeps: number[] = [];
    const r = await untilReady(async () => resp(false, 30), async (ms) => { sleeps.push(ms); }, 25_000);
    expect(r.ready).toBe(false);
    expect(sleeps).toEqual([10_000, 10_000, 5_000]);
  });
});
