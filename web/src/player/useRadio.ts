// The radio station of the app (one per player), and the hook the "Go to radio" buttons use.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { RadioStation } from './radio';

export const RadioContext = createContext<RadioStation | null>(null);

/** Starts a radio from a URI, or null outside a <RadioContext.Provider> (tests of single pages). */
export function useRadio(): RadioStation | null {
  return useContext(RadioContext);
}
