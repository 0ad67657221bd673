// The pages of the logged-in app, each loaded on first use. A later page (search, playlists, ...)
// is a folder under routes/ and one line here.
import { lazy, Route, Router } from 'preact-iso';

const Home = lazy(() => import('../routes/home'));
const Albums = lazy(() => import('../routes/albums'));
const Album = lazy(() => import('../routes/album'));
const Artist = lazy(() => import('../routes/artist'));
const Library = lazy(() => import('../routes/library'));
const Queue = lazy(() => import('../routes/queue'));
const NotFound = lazy(() => import('../routes/not-found'));

export function AppRouter({ onRouteChange }: { onRouteChange: (url: string) => void }) {
  return (
    <Router onRouteChange={onRouteChange}>
      <Route path="/" component={Home} />
      <Route path="/albums" component={Albums} />
      <Route path="/album/:id" component={Album} />
      <Route path="/artist/:id" component={Artist} />
      <Route path="/library" component={Library} />
      <Route path="/queue" component={Queue} />
      <Route default component={NotFound} />
    </Router>
  );
}
