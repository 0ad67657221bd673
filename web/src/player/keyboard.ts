// Global keyboard shortcuts:
//   Space                    play / pause
//   ArrowLeft / ArrowRight   seek -5 s / +5 s
//   Shift (or Ctrl) + ArrowLeft / ArrowRight   previous / next track
//   Shift + ArrowUp / ArrowDown                volume +10 % / -10 %
// Keys are left alone when the focused element uses them itself (text fields, sliders, buttons
// for Space, selects, editable content) or when Alt/Meta is held. Space on a link plays/pauses
// (instead of scrolling), as in Spotify.
import type { Player } from './types';

const SEEK_STEP_MS = 5000;
const VOLUME_STEP = 0.1;

const SPACE_ROLES = new Set(['button', 'checkbox', 'switch', 'menuitem', 'menuitemcheckbox', 'menuitemradio',
  'option', 'radio', 'tab', 'slider', 'spinbutton', 'textbox', 'combobox', 'searchbox']);
const ARROW_ROLES = new Set(['slider', 'spinbutton', 'textbox', 'combobox', 'searchbox', 'listbox', 'menu',
  'menubar', 'radiogroup', 'tablist', 'tree', 'grid', 'option', 'menuitem', 'tab', 'radio']);

function isEditable(el: Element): boolean {
  if (el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement) return true;
  if (el instanceof HTMLElement && el.isContentEditable) return true;
  if (el instanceof HTMLInputElement) return !['button', 'submit', 'reset', 'checkbox', 'radio', 'image', 'file', 'color'].includes(el.type);
  return false;
}

/** True when the focused element would itself react to `key`. */
export function handlesKey(target: EventTarget | null, key: string): boolean {
  if (!(target instanceof Element) || target === document.body || target === document.documentElement) return false;
  if (isEditable(target)) return true;
  const role = target.getAttribute('role');
  if (key === ' ') {
    if (target instanceof HTMLButtonElement || target instanceof HTMLInputElement) return true;
    if (target.tagName === 'SUMMARY') return true;
    return role !== null && SPACE_ROLES.has(role);
  }
  return role !== null && ARROW_ROLES.has(role);
}

export function installKeyboardShortcuts(player: Player): () => void {
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.defaultPrevented || e.altKey || e.metaKey || e.isComposing) return;
    if (handlesKey(e.target, e.key)) return;
    const mod = e.shiftKey || e.ctrlKey;
    const state = player.getState();
    switch (e.key) {
      case ' ':
      case 'Spacebar':
        if (mod || e.repeat) return;
        player.toggle();
        break;
      case 'ArrowLeft':
        if (mod) player.previous();
        else player.seek(Math.max(0, state.positionMs - SEEK_STEP_MS));
        break;
      case 'ArrowRight':
        if (mod) player.next();
        else player.seek(state.positionMs + SEEK_STEP_MS);
        break;
      case 'ArrowUp':
        if (!e.shiftKey) return;
        player.setVolume(Math.min(1, Math.round((state.volume + VOLUME_STEP) * 100) / 100));
        break;
      case 'ArrowDown':
        if (!e.shiftKey) return;
        player.setVolume(Math.max(0, Math.round((state.volume - VOLUME_STEP) * 100) / 100));
        break;
      default:
        return;
    }
    e.preventDefault();
  };
  window.addEventListener('keydown', onKeyDown);
  return () => window.removeEventListener('keydown', onKeyDown);
}
