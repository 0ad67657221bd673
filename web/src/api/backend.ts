// The player's PlayerBackend, implemented with the API client.
import { untilReady } from '../player/ready';
import type { ClientEvent, PlayerBackend, PlayResponse } from '../player/types';
import { api } from './index';

export const playerBackend: PlayerBackend = {
  play(trackId: string, formats: string[]): Promise<PlayResponse> {
    // A file still being transcoded is asked for again after the server's retry_after.
    return untilReady(() =>
      api.request<PlayResponse>('/v1/me/player/play', {
        method: 'POST',
        body: { track_id: trackId, formats },
        networkRetries: 1,
      }),
    );
  },
  async sendEvents(events: ClientEvent[]): Promise<void> {
    if (events.length === 0) return;
    // keepalive lets the last events of a page (closing, logging out) still reach the server.
    await api.request<void>('/v1/me/player/events', {
      method: 'POST',
      body: { events },
      keepalive: true,
      networkRetries: 1,
    });
  },
};
