// Short-lived messages about actions that failed (a save the server refused, ...).
type Listener = (message: string | null) => void;

let current: string | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;
const listeners = new Set<Listener>();

function set(message: string | null): void {
  current = message;
  for (const listener of listeners) listener(message);
}

export function showNotice(message: string, ms = 6000): void {
  clearTimeout(timer);
  set(message);
  timer = setTimeout(() => set(null), ms);
}

export function dismissNotice(): void {
  clearTimeout(timer);
  set(null);
}

export function getNotice(): string | null {
  return current;
}

export function subscribeNotice(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
