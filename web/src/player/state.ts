// The player's status as an explicit state machine: a pure transition function over events.
// An event that makes no sense in the current status is ignored: `transition` returns the very
// same state object, so callers can tell with `===` (and `accepts` says it up front).
//
//   idle    --load-->                         loading
//   loading --loaded/playing-->               playing (autoplay) | paused (no autoplay)
//   loading --play/pause-->                   loading (autoplay on/off)
//   paused  --play/playing-->                 playing
//   playing --pause-->                        paused
//   playing|paused --ended-->                 idle
//   loading|playing|paused --error-->         error
//   error   --retry-->                        loading (autoplay)
//   any     --load-->                         loading;  any --stop--> idle
import type { PlayerStatus } from './types';

export interface MachineState {
  readonly status: PlayerStatus;
  /** While loading: start playing as soon as the media can play. */
  readonly autoplay: boolean;
  readonly error: string | null;
}

export type MachineEvent =
  | { type: 'load'; autoplay: boolean }
  | { type: 'loaded' }
  | { type: 'play' }
  | { type: 'playing' }
  | { type: 'pause' }
  | { type: 'ended' }
  | { type: 'error'; message: string }
  | { type: 'retry' }
  | { type: 'stop' };

export const initialMachineState: MachineState = { status: 'idle', autoplay: false, error: null };

function to(status: PlayerStatus, autoplay = false, error: string | null = null): MachineState {
  return { status, autoplay, error };
}

export function transition(s: MachineState, e: MachineEvent): MachineState {
  switch (e.type) {
    case 'load':
      return to('loading', e.autoplay);
    case 'stop':
      return s.status === 'idle' && s.error === null ? s : to('idle');
    case 'loaded':
      return s.status === 'loading' ? to(s.autoplay ? 'playing' : 'paused') : s;
    case 'playing':
      return s.status === 'loading' || s.status === 'paused' ? to('playing') : s;
    case 'play':
      if (s.status === 'paused') return to('playing');
      if (s.status === 'loading' && !s.autoplay) return to('loading', true);
      return s;
    case 'pause':
      if (s.status === 'playing') return to('paused');
      if (s.status === 'loading' && s.autoplay) return to('loading', false);
      return s;
    case 'ended':
      return s.status === 'playing' || s.status === 'paused' ? to('idle') : s;
    case 'error':
      return s.status === 'loading' || s.status === 'playing' || s.status === 'paused'
        ? to('error', false, e.message || 'Playback failed.')
        : s;
    case 'retry':
      return s.status === 'error' ? to('loading', true) : s;
  }
}

/** True when `e` changes something in state `s`. */
export function accepts(s: MachineState, e: MachineEvent): boolean {
  return transition(s, e) !== s;
}
