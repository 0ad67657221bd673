// The contract between the player and the rest of the web app (see the team's web notes).
// The first four interfaces are the agreed shapes; the rest describe the Player the app drives.

export interface PlayerTrack {            // a subset of Spotify's track object
  id: string; uri: string; name: string; duration_ms: number;
  artists: { id: string; name: string }[];
  album: { id: string; name: string; images: { url: string; width: number | null; height: number | null }[] };
}
export interface PlayResponse { stream_urls: string[]; file_id: string; token: string; expires_in: number;
  format: string; mime_type: string; duration_ms: number;
  /** False while the server is still transcoding the file: ask again after retry_after seconds. */
  ready?: boolean; retry_after?: number; transcoded?: boolean; replay_gain?: { track_gain_db?: number; album_gain_db?: number };
  /** Gains to -14 LUFS from the server's EBU R128 analysis (absent until the track is analyzed). */
  normalization?: { target_lufs: number; integrated_lufs: number; true_peak_dbtp: number;
    track_gain_db: number; album_gain_db: number; album_integrated_lufs?: number } }
export interface PlaybackEvent { type: 'track_start' | 'track_end' | 'skip'; track_id: string;
  position_ms?: number; skip?: boolean; reason?: string; context_uri?: string;
  /** Extra: where the play was started, e.g. "home:<section id>" (player/homeSource.ts). */
  source?: string; timestamp: number }
/** Extra: what the home page logs through the same sender (docs/formats/event-log.md). */
export type HomeEvent =
  | { type: 'home_impression'; section_ids: string[]; item_uris: string[]; timestamp: number }
  | { type: 'home_click'; section: string; item_uri: string; rank: number; timestamp: number };
/** Every event the player's batched, persisted sender carries to POST /v1/me/player/events. */
export type ClientEvent = PlaybackEvent | HomeEvent;
export interface PlayerBackend {          // the app implements it with its API client
  play(trackId: string, formats: string[]): Promise<PlayResponse>;
  sendEvents(events: ClientEvent[]): Promise<void>;
}

export type PlayerStatus = 'idle' | 'loading' | 'playing' | 'paused' | 'error';
export type RepeatMode = 'off' | 'context' | 'track';

export interface PlayerQueueState {
  current: PlayerTrack | null;
  /** User-queued tracks first, then the rest of the context. */
  upNext: PlayerTrack[];
  /** Extra: how many entries at the front of upNext were added with "Add to queue". */
  queued: number;
  /** Extra: stable keys for upNext (same length), for lists and focus after moves. */
  keys: string[];
  /** Extra: the context being played, e.g. "segue:album:<id>", and a name to show for it. */
  contextUri: string | null;
  contextName: string | null;
}

export interface PlayerState {
  status: PlayerStatus;
  track: PlayerTrack | null;
  positionMs: number;
  durationMs: number;
  /** 0..1, as set by the user (replay gain is applied on top of it). */
  volume: number;
  shuffle: boolean;
  repeat: RepeatMode;
  queue: PlayerQueueState;
  /** A worded error for role="alert", or null. */
  error: string | null;
}

export interface Player {
  /** Plays `tracks` as the context, starting at `startIndex`. contextName is an optional extra;
   *  so is `source` (the playback events' source, e.g. "home:<section>"; without it, the
   *  context's home origin if its page was opened from home lately: player/homeSource.ts). */
  playTracks(tracks: PlayerTrack[], startIndex: number, contextUri?: string, contextName?: string, source?: string): void;
  /** Extra: appends tracks to the context while `contextUri` is still the one playing (a radio's
   *  next batch); false when another context plays. */
  appendToContext(tracks: PlayerTrack[], contextUri: string): boolean;
  toggle(): void;
  play(): void;
  pause(): void;
  next(): void;
  previous(): void;
  seek(ms: number): void;
  setVolume(volume: number): void;
  toggleShuffle(): void;
  cycleRepeat(): void;
  addToQueue(track: PlayerTrack): void;
  /** Indices are positions in state.queue.upNext. */
  moveInQueue(from: number, to: number): void;
  removeFromQueue(index: number): void;
  playFromQueue(index: number): void;
  /** Extra: after an error, tries the current track again. */
  retry(): void;
  /** Extra: logs a home impression or click with the playback events (same batch, kept until
   *  the server has it), so a click that starts a track travels with its track_start. */
  recordEvent(event: HomeEvent): void;
  /** Stops audio, flushes pending events, removes the audio elements. */
  destroy(): void;
  subscribe(listener: () => void): () => void;
  getState(): PlayerState;
}
