// Small inline icons (24x24 viewBox, currentColor); decorative, so hidden from assistive tech.
import type { ComponentChildren } from 'preact';

function Icon({ children, size = 24 }: { children: ComponentChildren; size?: number }) {
  return (
    <svg class="icon" width={size} height={size} viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      {children}
    </svg>
  );
}

type P = { size?: number };

export const PlayIcon = ({ size }: P) => <Icon size={size}><path d="M8 5.5v13l11-6.5z" fill="currentColor" /></Icon>;

export const HeartIcon = ({ size, filled }: P & { filled: boolean }) => (
  <Icon size={size}>
    <path
      d="M12 20.5s-7.5-4.6-7.5-10.1A4.4 4.4 0 0 1 12 7.6a4.4 4.4 0 0 1 7.5 2.8c0 5.5-7.5 10.1-7.5 10.1z"
      fill={filled ? 'currentColor' : 'none'} stroke="currentColor" stroke-width="1.8" stroke-linejoin="round"
    />
  </Icon>
);

export const HomeIcon = ({ size }: P) => (
  <Icon size={size}><path d="M4 10.5 12 4l8 6.5V20h-5.5v-5.5h-5V20H4z" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" /></Icon>
);

export const AlbumsIcon = ({ size }: P) => (
  <Icon size={size}>
    <circle cx="12" cy="12" r="8" fill="none" stroke="currentColor" stroke-width="1.8" />
    <circle cx="12" cy="12" r="2.2" fill="currentColor" />
  </Icon>
);

export const LibraryIcon = ({ size }: P) => (
  <Icon size={size}><path d="M5 4v16M9.5 4v16M14 5l5 14.5" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" /></Icon>
);

export const QueueIcon = ({ size }: P) => (
  <Icon size={size}><path d="M4 6h16M4 11h16M4 16h9M16 14.5v5l4-2.5z" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" /></Icon>
);

export const NoteIcon = ({ size }: P) => (
  <Icon size={size}><path d="M9 18V6l10-2v12M9 18a2.5 2.5 0 1 1-5 0 2.5 2.5 0 0 1 5 0zm10-2a2.5 2.5 0 1 1-5 0 2.5 2.5 0 0 1 5 0z" fill="none" stroke="currentColor" stroke-width="1.6" /></Icon>
);

export const PlaylistIcon = ({ size }: P) => (
  <Icon size={size}><path d="M4 6h12M4 11h12M4 16h8M18 13v7M14.5 16.5h7" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" /></Icon>
);

export const PlusIcon = ({ size }: P) => (
  <Icon size={size}><path d="M12 5v14M5 12h14" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" /></Icon>
);

export const SearchIcon = ({ size }: P) => (
  <Icon size={size}><path d="M10.5 4a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13zM15.3 15.3 20 20" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" /></Icon>
);

export const CloseIcon = ({ size }: P) => (
  <Icon size={size}><path d="M6 6l12 12M18 6 6 18" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" /></Icon>
);

export const HistoryIcon = ({ size }: P) => (
  <Icon size={size}><path d="M4.5 12a7.5 7.5 0 1 0 2.2-5.3M4.5 4.5v3.5H8M12 8v4.5l3 2" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" /></Icon>
);

export const RadioIcon = ({ size }: P) => (
  <Icon size={size}><path d="M12 12m-1.8 0a1.8 1.8 0 1 0 3.6 0a1.8 1.8 0 1 0-3.6 0M8.2 8.2a5.4 5.4 0 0 0 0 7.6M15.8 8.2a5.4 5.4 0 0 1 0 7.6M5.3 5.3a9.5 9.5 0 0 0 0 13.4M18.7 5.3a9.5 9.5 0 0 1 0 13.4" fill="none" stroke="currentColor" stroke-width="1.7" stroke-linecap="round" /></Icon>
);
