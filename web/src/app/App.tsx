// The root: the OAuth callback, the login page when nobody is logged in, the app otherwise.
import { LocationProvider, useLocation } from 'preact-iso';
import { useSession } from '../auth/useSession';
import Callback from '../routes/callback';
import Login from '../routes/login';
import { Shell } from './Shell';

function Root() {
  const session = useSession();
  const { path } = useLocation();
  if (path === '/callback') return <Callback />;
  if (session.status === 'anonymous') return <Login expired={session.reason === 'expired'} />;
  return <Shell />;
}

export function App() {
  return (
    <LocationProvider>
      <Root />
    </LocationProvider>
  );
}
