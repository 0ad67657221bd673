// The logged-in tab's live subscriptions that are not tied to a page: "me" (library changes
// made on other devices update the hearts everywhere).
import { forgetMyself } from './playlists';
import { getRealtime } from './realtime';
import { recheckSaved, rememberSaved } from './saved';

/** Starts listening; the returned function stops and closes the socket (logout). */
export function startLive(): () => void {
  const realtime = getRealtime();
  const unsubscribe = realtime.subscribe('me', (message) => {
    if (message.type !== 'library_updated') return;
    if ((message.kind === 'tracks' || message.kind === 'albums') && Array.isArray(message.ids) && typeof message.saved === 'boolean') {
      rememberSaved(message.kind, message.ids.filter((id): id is string => typeof id === 'string'), message.saved);
      return;
    }
    const kinds = message.kind === 'albums' ? ['albums'] as const : message.kind === 'tracks' ? ['tracks'] as const : ['tracks', 'albums'] as const;
    for (const kind of kinds) recheckSaved(kind).catch(() => undefined);
  });
  // "me" has no catch-up: after the socket was down, ask again about what the tab shows.
  let wasLive = realtime.isLive('me');
  let connectedBefore = wasLive;
  const stopStatus = realtime.onStatus(() => {
    const isLive = realtime.isLive('me');
    if (isLive && !wasLive && connectedBefore) {
      recheckSaved('tracks').catch(() => undefined);
      recheckSaved('albums').catch(() => undefined);
    }
    if (isLive) connectedBefore = true;
    wasLive = isLive;
  });
  return () => {
    stopStatus();
    unsubscribe();
    realtime.close();
    forgetMyself();
  };
}
