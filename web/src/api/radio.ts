// Radio and "Recommended songs" (issue 18; docs/formats/radio.md): POST /v1/me/radio for a
// station's next tracks, GET /v1/playlists/{id}/recommendations for tracks like a playlist's.
import type { FetchRadio, RadioBatch } from '../player/radio';
import { api } from './index';
import { toPlayerTrack } from './convert';
import type { Track } from './types';

export const fetchRadio: FetchRadio = async (request): Promise<RadioBatch> => {
  const body = await api.request<{ context_uri: string; tracks: Track[] }>('/v1/me/radio', {
    method: 'POST', body: request, networkRetries: 1,
  });
  return { context_uri: body.context_uri, tracks: body.tracks.map((t) => toPlayerTrack(t)) };
};

export const getPlaylistRecommendations = (playlistId: string, limit = 10, signal?: AbortSignal) =>
  api.get<{ tracks: Track[] }>(`/v1/playlists/${encodeURIComponent(playlistId)}/recommendations`, { limit }, signal);
