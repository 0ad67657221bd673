// The logged-out page: "Log in" starts the OAuth authorization code flow with PKCE.
import { useState } from 'preact/hooks';
import { describeError, SESSION_EXPIRED_MESSAGE } from '../../api/errors';
import { useTitle } from '../../app/useTitle';
import { startLogin } from '../../auth/session';

export function currentReturnPath(): string {
  const here = location.pathname + location.search;
  return location.pathname === '/callback' ? '/' : here;
}

export default function Login({ expired = false, error }: { expired?: boolean; error?: string }) {
  useTitle('Log in');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);

  const onLogin = async () => {
    setBusy(true);
    setFailure(null);
    try {
      await startLogin(currentReturnPath());
    } catch (cause) {
      setFailure(`Could not start the login: ${describeError(cause)}`);
      setBusy(false);
    }
  };

  const message = failure ?? error ?? (expired ? SESSION_EXPIRED_MESSAGE : null);
  return (
    <main class="login" id="content">
      <div class="login-card">
        <h1 class="login-title">Segue</h1>
        <p class="muted">Your music, streamed from your own server.</p>
        {message && <p class="login-message" role="alert">{message}</p>}
        <button type="button" class="button button-large" onClick={onLogin} disabled={busy}>
          {busy ? 'Opening the login…' : 'Log in'}
        </button>
      </div>
    </main>
  );
}
