// The Preact context that carries the Player, and the hooks that read it.
import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import type { Player, PlayerState } from './types';

export const PlayerContext = createContext<Player | null>(null);

export function usePlayer(): Player {
  const player = useContext(PlayerContext);
  if (!player) throw new Error('usePlayer: no <PlayerContext.Provider> above this component');
  return player;
}

/** The player's state; the component re-renders whenever it changes. */
export function usePlayerState(): PlayerState {
  const player = usePlayer();
  const [state, setState] = useState<PlayerState>(() => player.getState());
  useEffect(() => {
    setState(player.getState());
    return player.subscribe(() => setState(player.getState()));
  }, [player]);
  return state;
}
