// The pages of the logged-in app, each loaded on first use. A later page (search, playlists, ...)
// is a folder under routes/ and one line here.
import { lazy, Route, Router } from 'preact-iso';
import type { ComponentType } from 'preact';

const RELOAD_KEY = 'segue.reloaded-for-update';

// A page's code is a file named by its content hash. After the server is updated, the file an
// open tab asks for no longer exists: reload once to get the new index.html and its files
// (the error boundary explains a second failure).
function page<P>(load: () => Promise<{ default: ComponentType<P> }>) {
  return lazy(() =>
    load().then(
      (module) => {
        sessionStorage.removeItem(RELOAD_KEY);
        return module;
      },
      (error: unknown) => {
        if (sessionStorage.getItem(RELOAD_KEY) === null) {
          sessionStorage.setItem(RELOAD_KEY, '1');
          location.reload();
          return new Promise<never>(() => {});
        }
        throw error;
      },
    ),
  );
}

const Home = page(() => import('../routes/home'));
const Albums = page(() => import('../routes/albums'));
const Album = page(() => import('../routes/album'));
const Artist = page(() => import('../routes/artist'));
const Library = page(() => import('../routes/library'));
const Queue = page(() => import('../routes/queue'));
const Search = page(() => import('../routes/search'));
const Playlists = page(() => import('../routes/playlists'));
const Playlist = page(() => import('../routes/playlist'));
const Smart = page(() => import('../routes/smart'));
const SmartEditor = page(() => import('../routes/smart/edit'));
const HomeSection = page(() => import('../routes/home-section'));
const Invite = page(() => import('../routes/invite'));
const NotFound = page(() => import('../routes/not-found'));

export function AppRouter({ onRouteChange }: { onRouteChange: (url: string) => void }) {
  return (
    <Router onRouteChange={onRouteChange}>
      <Route path="/" component={Home} />
      <Route path="/albums" component={Albums} />
      <Route path="/album/:id" component={Album} />
      <Route path="/artist/:id" component={Artist} />
      <Route path="/library" component={Library} />
      <Route path="/queue" component={Queue} />
      <Route path="/search" component={Search} />
      <Route path="/playlists" component={Playlists} />
      <Route path="/playlist/:id" component={Playlist} />
      <Route path="/smart" component={Smart} />
      <Route path="/smart/:id" component={SmartEditor} />
      <Route path="/shelf/:id" component={HomeSection} />
      <Route path="/invite/:token" component={Invite} />
      <Route default component={NotFound} />
    </Router>
  );
}
