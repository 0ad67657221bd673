// Waiting for a transcode. A play response with `ready: false` names a file the server is still
// encoding (GET /audio/{file_id} answers 503 with Retry-After until it is complete); the player
// asks again after `retry_after` seconds instead of pointing an <audio> element at it.
import type { PlayResponse } from './types';

/** Longest the player waits for a transcode before handing the stream to the element anyway. */
export const MAX_TRANSCODE_WAIT_MS = 60_000;
/** Longest single wait, whatever the server suggests. */
const MAX_STEP_MS = 10_000;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Repeats `request` until the response is ready (or `maxWaitMs` have been spent waiting). */
export async function untilReady(
  request: () => Promise<PlayResponse>,
  sleep: (ms: number) => Promise<void> = defaultSleep,
  maxWaitMs = MAX_TRANSCODE_WAIT_MS,
): Promise<PlayResponse> {
  let waited = 0;
  let resp = await request();
  while (resp.ready === false && waited < maxWaitMs) {
    const suggested = Math.max(1, resp.retry_after ?? 1) * 1000;
    const ms = Math.min(suggested, MAX_STEP_MS, maxWaitMs - waited);
    await sleep(ms);
    waited += ms;
    resp = await request();
  }
  return resp;
}
