import { useEffect, useState } from 'preact/hooks';
import { getSessionState, subscribeSession, type SessionState } from './session';

/** The session state; the component re-renders when it changes (in this tab or another). */
export function useSession(): SessionState {
  const [state, setState] = useState(getSessionState);
  useEffect(() => {
    setState(getSessionState());
    return subscribeSession(setState);
  }, []);
  return state;
}
