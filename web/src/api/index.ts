// The app's API client, wired to the login session and to the connectivity banner.
import { expireSession, getAccessToken, renewAfterUnauthorized } from '../auth/session';
import { createApiClient } from './client';
import { reportReachable, reportUnreachable, waitForRetry } from './connectivity';

export const api = createApiClient({
  getToken: getAccessToken,
  renewToken: renewAfterUnauthorized,
  onSessionRejected: expireSession,
  waitForRetry,
  reportReachable,
  reportUnreachable,
});

export { ApiError, NetworkError, SessionExpiredError, describeError, isAbortError } from './errors';
export type * from './types';
