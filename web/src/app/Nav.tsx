// The main navigation: a sidebar on wide screens, a bottom tab bar on phones.
import type { ComponentType } from 'preact';
import { useLocation } from 'preact-iso';
import { AlbumsIcon, HomeIcon, LibraryIcon, PlaylistIcon, QueueIcon, SearchIcon } from '../components/Icons';

interface Item {
  href: string;
  label: string;
  icon: ComponentType<{ size?: number }>;
  /** Paths (besides href) under which the item counts as current. */
  matches?: string[];
}

const ITEMS: Item[] = [
  { href: '/', label: 'Home', icon: HomeIcon },
  { href: '/search', label: 'Search', icon: SearchIcon },
  { href: '/albums', label: 'Albums', icon: AlbumsIcon, matches: ['/album/'] },
  { href: '/library', label: 'Your Library', icon: LibraryIcon },
  { href: '/playlists', label: 'Playlists', icon: PlaylistIcon, matches: ['/playlist/', '/smart'] },
  { href: '/queue', label: 'Queue', icon: QueueIcon },
];

function isCurrent(item: Item, path: string): boolean {
  if (path === item.href) return true;
  return item.href !== '/' && (path.startsWith(`${item.href}/`) || (item.matches ?? []).some((m) => path.startsWith(m)));
}

export function Nav() {
  const { path } = useLocation();
  return (
    <nav class="nav" aria-label="Main">
      <ul>
        {ITEMS.map((item) => {
          const current = isCurrent(item, path);
          const Icon = item.icon;
          return (
            <li key={item.href}>
              <a href={item.href} class="nav-link" aria-current={current ? 'page' : undefined}>
                <Icon size={24} />
                <span>{item.label}</span>
              </a>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
