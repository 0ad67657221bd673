// Line icons drawn for the player (24x24 grid). Decorative: buttons carry the accessible names.
import type { ComponentChildren } from 'preact';

function Icon({ children, filled = false }: { children: ComponentChildren; filled?: boolean }) {
  return (
    <svg class="player-icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"
      fill={filled ? 'currentColor' : 'none'} stroke={filled ? 'none' : 'currentColor'}
      stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
      {children}
    </svg>
  );
}

export const PlayIcon = () => <Icon filled><path d="M8 4.5v15l12-7.5z" /></Icon>;
export const PauseIcon = () => <Icon filled><rect x="6" y="4.5" width="4" height="15" rx="1" /><rect x="14" y="4.5" width="4" height="15" rx="1" /></Icon>;
export const PreviousIcon = () => <Icon filled><rect x="4.5" y="5" width="2.5" height="14" rx="1" /><path d="M19 5v14L8.5 12z" /></Icon>;
export const NextIcon = () => <Icon filled><rect x="17" y="5" width="2.5" height="14" rx="1" /><path d="M5 5v14l10.5-7z" /></Icon>;
export const ShuffleIcon = () => (
  <Icon><path d="M3 7h3.5c2 0 3 1 4.5 3.2l2 2.8c1.5 2.2 2.5 3 4.5 3H20" /><path d="M3 17h3.5c1.3 0 2.1-.4 3-1.3M13.5 8.3c.9-.9 1.7-1.3 3-1.3H20" /><path d="M17.5 4.5 20 7l-2.5 2.5M17.5 14.5 20 17l-2.5 2.5" /></Icon>
);
export const RepeatIcon = () => (
  <Icon><path d="M4 11V9.5A2.5 2.5 0 0 1 6.5 7H19" /><path d="M16.5 4.5 19 7l-2.5 2.5" /><path d="M20 13v1.5a2.5 2.5 0 0 1-2.5 2.5H5" /><path d="M7.5 19.5 5 17l2.5-2.5" /></Icon>
);
export const QueueIcon = () => (
  <Icon><path d="M4 6h12M4 11h12M4 16h7" /><path d="M15 14.5v5l4.5-2.5z" fill="currentColor" /></Icon>
);
export const VolumeIcon = ({ level }: { level: number }) => (
  <Icon>
    <path d="M4 9.5h3.5L12 5.5v13l-4.5-4H4z" fill="currentColor" />
    {level > 0 && <path d="M15.5 9.5a3.5 3.5 0 0 1 0 5" />}
    {level > 0.5 && <path d="M18 7a7 7 0 0 1 0 10" />}
    {level === 0 && <path d="M16 10l4 4M20 10l-4 4" />}
  </Icon>
);
