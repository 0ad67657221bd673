export {
  completeLogin, expireSession, getAccessToken, getSessionState, LoginError, logout,
  renewAfterUnauthorized, startLogin, subscribeSession, type SessionState,
} from './session';
export { useSession } from './useSession';
