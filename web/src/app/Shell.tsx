// The logged-in layout: navigation, account bar, the page, and the player bar at the bottom.
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { playerBackend } from '../api/backend';
import { fetchRadio } from '../api/radio';
import { startLive } from '../api/live';
import { forgetSaved } from '../api/saved';
import { logout } from '../auth/session';
import { AddToPlaylist } from '../components/AddToPlaylist';
import { NetworkBanner, NoticeBanner } from '../components/Banners';
import { createPlayer, installKeyboardShortcuts, PlayerBar, PlayerContext, RadioContext, RadioStation } from '../player';
import { Account } from './Account';
import { AppRouter } from './AppRouter';
import { ErrorBoundary } from './ErrorBoundary';
import { focusPageHeading } from './focus';
import { Nav } from './Nav';

function usePlayerInstance() {
  // The radio learns what was played through and skipped from the player's events.
  const { player, radio } = useMemo(() => {
    let station: RadioStation | null = null;
    const p = createPlayer(playerBackend, { onEvent: (e) => station?.observe([e]) });
    station = new RadioStation(p, fetchRadio);
    return { player: p, radio: station };
  }, []);
  const destroyed = useRef(false);
  const destroy = useCallback(() => {
    if (destroyed.current) return;
    destroyed.current = true;
    radio.destroy();
    player.destroy();
  }, [player, radio]);
  useEffect(() => {
    const uninstall = installKeyboardShortcuts(player);
    return () => {
      uninstall();
      destroy();
    };
  }, [player, destroy]);
  return { player, radio, destroy };
}

/**
 * Keeps --player-height in step with the player bar (which is fixed to the bottom of the
 * viewport), so that the tab bar sits above it and no content hides behind it.
 */
function useDockHeight() {
  const dock = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const bar = dock.current?.firstElementChild as HTMLElement | null | undefined;
    if (!bar || typeof ResizeObserver === 'undefined') return;
    const update = () => document.documentElement.style.setProperty('--player-height', `${bar.offsetHeight}px`);
    const observer = new ResizeObserver(update);
    observer.observe(bar);
    update();
    return () => observer.disconnect();
  }, []);
  return dock;
}

export function Shell() {
  const { player, radio, destroy } = usePlayerInstance();
  const { path, route } = useLocation();
  const main = useRef<HTMLElement>(null);
  const dock = useDockHeight();
  const [loggingOut, setLoggingOut] = useState(false);
  // Whoever logs in next may be someone else: forget what this session knew about its library.
  useEffect(() => () => forgetSaved(), []);
  // Live updates from other devices (and the playlist pages' subscriptions) share one socket.
  useEffect(() => startLive(), []);

  const onLogout = async () => {
    setLoggingOut(true);
    await logout(destroy);
    route('/', true);
  };

  const skipToContent = (event: MouseEvent) => {
    event.preventDefault();
    const heading = main.current?.querySelector<HTMLElement>('h1');
    if (heading) {
      heading.setAttribute('tabindex', '-1');
      heading.focus();
    } else {
      main.current?.focus();
    }
  };

  return (
    <PlayerContext.Provider value={player}>
      <RadioContext.Provider value={radio}>
      <a class="skip-link" href="#content" onClick={skipToContent}>Skip to content</a>
      <div class="app">
        <aside class="sidebar">
          <a class="brand" href="/" aria-label="Segue home">Segue</a>
          <Nav />
        </aside>
        <div class="main-column">
          <header class="topbar">
            <a class="brand brand-compact" href="/" aria-label="Segue home">Segue</a>
            <Account onLogout={onLogout} busy={loggingOut} />
          </header>
          <NetworkBanner />
          <NoticeBanner />
          <main id="content" class="content" ref={main} tabIndex={-1}>
            <ErrorBoundary resetKey={path}>
              <AppRouter onRouteChange={() => focusPageHeading(main.current)} />
            </ErrorBoundary>
          </main>
        </div>
        <div class="player-dock" ref={dock}>
          <PlayerBar nowPlayingExtra={(track) => <AddToPlaylist track={track} up class="player-add" />} />
        </div>
      </div>
      </RadioContext.Provider>
    </PlayerContext.Provider>
  );
}
