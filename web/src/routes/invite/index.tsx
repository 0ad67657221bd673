// /invite/:token: accepts an invitation to collaborate on a playlist and opens it. (Logged out,
// the app shows the login page first and comes back here after it.)
import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { ApiError, describeError } from '../../api/errors';
import { acceptInvite, type Playlist } from '../../api/playlists';
import { useTitle } from '../../app/useTitle';
import { Loading } from '../../components/LoadState';

// One POST per token even if the page renders twice.
const accepting = new Map<string, Promise<Playlist>>();

function explain(error: unknown): string {
  if (error instanceof ApiError && (error.status === 404 || error.status === 410 || error.status === 400)) {
    return `This invite link is invalid or has expired (${error.message}). Ask the playlist's owner for a new one.`;
  }
  return `Could not accept the invitation: ${describeError(error)}`;
}

export default function Invite({ token }: { token: string }) {
  useTitle('Invitation');
  const { route } = useLocation();
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let promise = accepting.get(token);
    if (!promise) {
      promise = acceptInvite(token);
      accepting.set(token, promise);
      promise.catch(() => accepting.delete(token));
    }
    let live = true;
    promise.then(
      (playlist) => { if (live) route(`/playlist/${encodeURIComponent(playlist.id)}`, true); },
      (cause) => { if (live) setError(explain(cause)); },
    );
    return () => { live = false; };
  }, [token, attempt]);

  return (
    <div class="page">
      <h1>Playlist invitation</h1>
      {error ? (
        <div class="error-message" role="alert">
          <p>{error}</p>
          <button type="button" class="button" onClick={() => { setError(null); setAttempt((n) => n + 1); }}>Try again</button>
        </div>
      ) : <Loading label="Joining the playlist…" />}
    </div>
  );
}
