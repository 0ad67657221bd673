// The app-wide alerts: "Segue is unreachable" with a Retry button, and failed-action notices.
import { useEffect, useState } from 'preact/hooks';
import { getConnectivity, retryNow, subscribeConnectivity } from '../api/connectivity';
import { UNREACHABLE_MESSAGE } from '../api/errors';
import { dismissNotice, getNotice, subscribeNotice } from './notices';

export function NetworkBanner() {
  const [state, setState] = useState(getConnectivity);
  useEffect(() => subscribeConnectivity(setState), []);
  if (!state.unreachable) return null;
  return (
    <div class="banner banner-error" role="alert">
      <span>{UNREACHABLE_MESSAGE}</span>
      <button type="button" class="button button-small" onClick={retryNow}>Retry</button>
    </div>
  );
}

export function NoticeBanner() {
  const [message, setMessage] = useState(getNotice);
  useEffect(() => subscribeNotice(setMessage), []);
  if (!message) return null;
  return (
    <div class="banner banner-notice" role="alert">
      <span>{message}</span>
      <button type="button" class="button button-small" onClick={dismissNotice}>Dismiss</button>
    </div>
  );
}
