// The logged-in tab's live subscriptions that are not tied to a page: "me" (library changes
// made on other devices update the hearts everywhere).
import { forgetMyself } from './playlists';
import { getRealtime } from './realtime';
import { recheckSaved } from './saved';

/** Starts listening; the returned function stops and closes the socket (logout). */
export function startLive(): () => void {
  const realtime = getRealtime();
  const unsubscribe = realtime.subscribe('me', (message) => {
    if (message.type !== 'library_updated') return;
    const kinds = message.kind === 'albums' ? ['albums'] as const : message.kind === 'tracks' ? ['tracks'] as const : ['tracks', 'albums'] as const;
    for (const kind of kinds) recheckSaved(kind).catch(() => undefined);
  });
  return () => {
    unsubscribe();
    realtime.close();
    forgetMyself();
  };
}
