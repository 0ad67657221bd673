// /callback?code&state: exchanges the code for tokens and returns to the page the user was on.
import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { describeError } from '../../api/errors';
import { completeLogin, getSessionState, hasPendingLogin, LoginError } from '../../auth/session';
import Login from '../login';

export default function Callback() {
  const { route } = useLocation();
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const search = location.search;
    // Back to an old callback URL while logged in: nothing to complete.
    if (!hasPendingLogin() && getSessionState().status === 'authenticated') {
      route('/', true);
      return;
    }
    completeLogin(search).then(
      (returnTo) => route(returnTo, true),
      (cause) => setError(cause instanceof LoginError ? cause.message : `The login failed: ${describeError(cause)}`),
    );
  }, []);

  if (error) return <Login error={error} />;
  return (
    <main class="login" id="content">
      <div class="login-card">
        <h1 class="login-title">Segue</h1>
        <p role="status">Logging you in…</p>
      </div>
    </main>
  );
}
