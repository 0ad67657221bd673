// The web player's public face: createPlayer, the Preact context and hooks, the components and
// the keyboard shortcuts. The app provides the Player with <PlayerContext.Provider value={player}>.
export type {
  Player, PlayerBackend, PlayerState, PlayerTrack, PlayResponse, PlaybackEvent, PlayerStatus, RepeatMode,
  PlayerQueueState, HomeEvent, ClientEvent,
} from './types';
export { createPlayer } from './engine';
export { RadioStation, isRadioUri } from './radio';
export { RadioContext, useRadio } from './useRadio';
export { PlayerContext, usePlayer, usePlayerState } from './context';
export { installKeyboardShortcuts } from './keyboard';
export { PlayerBar } from './ui/PlayerBar';
export { QueueView } from './ui/QueueView';
export { formatTime } from './format';
