// The Media Session API: what the lock screen, notification and media keys show and do.
// Every call is guarded: browsers without the API (or without an action) are simply skipped.
import type { PlayerStatus, PlayerTrack } from './types';

export interface MediaSessionHandlers {
  play(): void;
  pause(): void;
  previous(): void;
  next(): void;
  seekTo(ms: number): void;
  seekBy(deltaMs: number): void;
}

function session(): MediaSession | null {
  return typeof navigator !== 'undefined' && 'mediaSession' in navigator ? navigator.mediaSession : null;
}

const DEFAULT_SEEK_OFFSET_S = 10;

/** Registers the action handlers; returns a function that unregisters them. */
export function installMediaSession(h: MediaSessionHandlers): () => void {
  const ms = session();
  if (!ms) return () => undefined;
  const actions: [MediaSessionAction, MediaSessionActionHandler][] = [
    ['play', () => h.play()],
    ['pause', () => h.pause()],
    ['previoustrack', () => h.previous()],
    ['nexttrack', () => h.next()],
    ['seekto', (d) => { if (typeof d.seekTime === 'number') h.seekTo(d.seekTime * 1000); }],
    ['seekbackward', (d) => h.seekBy(-(d.seekOffset ?? DEFAULT_SEEK_OFFSET_S) * 1000)],
    ['seekforward', (d) => h.seekBy((d.seekOffset ?? DEFAULT_SEEK_OFFSET_S) * 1000)],
  ];
  const set = (handler: (a: MediaSessionAction, f: MediaSessionActionHandler) => void) => {
    for (const [action, f] of actions) {
      try {
        handler(action, f);
      } catch {
        // This browser does not support the action.
      }
    }
  };
  set((a, f) => ms.setActionHandler(a, f));
  return () => {
    set((a) => ms.setActionHandler(a, null));
    try {
      ms.metadata = null;
      ms.playbackState = 'none';
    } catch {
      // ignore
    }
  };
}

export function setMediaMetadata(track: PlayerTrack | null): void {
  const ms = session();
  if (!ms) return;
  if (!track || typeof MediaMetadata === 'undefined') {
    ms.metadata = null;
    return;
  }
  ms.metadata = new MediaMetadata({
    title: track.name,
    artist: track.artists.map((a) => a.name).join(', '),
    album: track.album.name,
    artwork: track.album.images.map((img) => ({
      src: img.url,
      ...(img.width && img.height ? { sizes: `${img.width}x${img.height}` } : {}),
    })),
  });
}

/** `starting`: loading a track that will play as soon as it can (shown as playing). */
export function setMediaPlaybackState(status: PlayerStatus, starting = false): void {
  const ms = session();
  if (!ms) return;
  ms.playbackState = status === 'playing' || (status === 'loading' && starting) ? 'playing' : status === 'idle' ? 'none' : 'paused';
}

export function setMediaPosition(positionMs: number, durationMs: number, playbackRate = 1): void {
  const ms = session();
  if (!ms || typeof ms.setPositionState !== 'function') return;
  if (!(durationMs > 0) || !Number.isFinite(durationMs)) return;
  try {
    ms.setPositionState({
      duration: durationMs / 1000,
      position: Math.min(Math.max(0, positionMs), durationMs) / 1000,
      playbackRate: playbackRate > 0 ? playbackRate : 1,
    });
  } catch {
    // An inconsistent state (e.g. duration not known yet) is not worth reporting.
  }
}
