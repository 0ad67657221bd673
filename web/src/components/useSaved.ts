import { useEffect, useReducer } from 'preact/hooks';
import type { LibraryKind } from '../api/endpoints';
import { isSaved, loadSaved, subscribeSaved } from '../api/saved';

/** Re-renders when anything in the saved store changes; asks the server about `ids` it lacks. */
export function useSaved(kind: LibraryKind, ids: readonly string[]): (id: string) => boolean | undefined {
  const [, bump] = useReducer((n: number, _: unknown) => n + 1, 0);
  useEffect(() => subscribeSaved(() => bump(undefined)), []);
  const key = ids.join(',');
  useEffect(() => {
    if (ids.length) loadSaved(kind, ids).catch(() => undefined);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [kind, key]);
  return (id: string) => isSaved(kind, id);
}
