// What is in Your Library, as far as this tab knows: one answer per track or album id, shared by
// every page so that a heart pressed on the album page shows on the library page too.
import { libraryContains, removeFromLibrary, saveToLibrary, type LibraryKind } from './endpoints';

type Listener = () => void;

const known: Record<LibraryKind, Map<string, boolean>> = { tracks: new Map(), albums: new Map() };
const loading: Record<LibraryKind, Set<string>> = { tracks: new Set(), albums: new Set() };
const listeners = new Set<Listener>();
const CHUNK = 50;

function changed(): void {
  for (const listener of listeners) listener();
}

export function subscribeSaved(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function isSaved(kind: LibraryKind, id: string): boolean | undefined {
  return known[kind].get(id);
}

export function rememberSaved(kind: LibraryKind, ids: readonly string[], saved: boolean): void {
  let any = false;
  for (const id of ids) {
    if (known[kind].get(id) !== saved) {
      known[kind].set(id, saved);
      any = true;
    }
  }
  if (any) changed();
}

/** Asks the server about the ids this tab does not know yet. */
export async function loadSaved(kind: LibraryKind, ids: readonly string[]): Promise<void> {
  const unknown = [...new Set(ids)].filter((id) => !known[kind].has(id) && !loading[kind].has(id));
  for (let i = 0; i < unknown.length; i += CHUNK) {
    const chunk = unknown.slice(i, i + CHUNK);
    chunk.forEach((id) => loading[kind].add(id));
    try {
      const answers = await libraryContains(kind, chunk);
      chunk.forEach((id, j) => known[kind].set(id, Boolean(answers[j])));
      changed();
    } finally {
      chunk.forEach((id) => loading[kind].delete(id));
    }
  }
}

/** Saves or removes `id`; the change shows at once and is undone if the server refuses it. */
export async function toggleSaved(kind: LibraryKind, id: string): Promise<void> {
  const wasSaved = known[kind].get(id) === true;
  rememberSaved(kind, [id], !wasSaved);
  try {
    if (wasSaved) await removeFromLibrary(kind, [id]);
    else await saveToLibrary(kind, [id]);
  } catch (error) {
    rememberSaved(kind, [id], wasSaved);
    throw error;
  }
}

/** Forgets everything (logout): another account may log in next. */
export function forgetSaved(): void {
  known.tracks.clear();
  known.albums.clear();
  changed();
}

/** Asks the server again about every id this tab knows (another device changed the library). */
export async function recheckSaved(kind: LibraryKind): Promise<void> {
  const ids = [...known[kind].keys()];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    const answers = await libraryContains(kind, chunk);
    rememberSaved(kind, chunk.filter((_, j) => answers[j]), true);
    rememberSaved(kind, chunk.filter((_, j) => !answers[j]), false);
  }
}
