// Moves keyboard focus to the new page's heading after a navigation, so that keyboard and screen
// reader users land on the page they chose. Pages that load their data first get their h1 later,
// so this waits (briefly) for one to appear.

const WAIT_MS = 4000;
let stop: (() => void) | null = null;

function focusHeadingIn(root: HTMLElement): boolean {
  const heading = root.querySelector<HTMLElement>('h1');
  if (!heading) return false;
  if (!heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
  heading.focus({ preventScroll: true });
  return true;
}

export function focusPageHeading(root: HTMLElement | null): void {
  stop?.();
  stop = null;
  if (!root || focusHeadingIn(root)) return;
  const observer = new MutationObserver(() => {
    if (focusHeadingIn(root)) cancel();
  });
  const timer = setTimeout(() => cancel(), WAIT_MS);
  const cancel = () => {
    observer.disconnect();
    clearTimeout(timer);
    stop = null;
  };
  observer.observe(root, { childList: true, subtree: true });
  stop = cancel;
}
