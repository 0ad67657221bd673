// Keyboard movement on the search page: ArrowDown from the input moves to the first result (or
// recent search), ArrowUp / ArrowDown move among them, Home / End to the first / last, ArrowUp
// from the first and Escape anywhere go back to the input. A result is one focusable element:
// a card or a top-result link, a song's Play button, a recent search.

/** The elements the arrows move between, in page order. */
export const RESULT_SELECTOR = '[data-result], .track-play';

export type Move = number | 'input' | null;

/** Where `key` moves from result `index` of `count` (-1: from the input); null: not a move. */
export function move(index: number, count: number, key: string): Move {
  if (count === 0) return key === 'Escape' ? 'input' : null;
  switch (key) {
    case 'ArrowDown':
      return Math.min(index + 1, count - 1);
    case 'ArrowUp':
      return index <= 0 ? 'input' : index - 1;
    case 'Home':
      return index < 0 ? null : 0;
    case 'End':
      return index < 0 ? null : count - 1;
    case 'Escape':
      return 'input';
    default:
      return null;
  }
}

export function resultTargets(root: ParentNode | null | undefined): HTMLElement[] {
  return root ? [...root.querySelectorAll<HTMLElement>(RESULT_SELECTOR)] : [];
}

/** The result `element` is, or belongs to (a Save button in a song's row belongs to its Play button). */
export function indexOfResult(targets: readonly HTMLElement[], element: Element | null): number {
  if (!element) return -1;
  const direct = targets.indexOf(element as HTMLElement);
  if (direct >= 0) return direct;
  const row = element.closest('li');
  return row ? targets.findIndex((t) => row.contains(t)) : -1;
}

/** A key that types a character into the input (used to send typing back to it). */
export function isTypingKey(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey'>): boolean {
  return e.key.length === 1 && e.key !== ' ' && !e.ctrlKey && !e.metaKey && !e.altKey;
}
