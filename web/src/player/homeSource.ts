// Where a play was started, as the playback events' `source` (docs/formats/event-log.md): plays
// started from one of home's shelves carry "home:<section id>", so the server can count a play of
// 30 s or more as that shelf's reward (docs/formats/home.md). A play is from home when
// - a home card started it (a track card, an album or playlist card's Play button, a radio card), or
// - it plays a context (album, playlist, artist, radio) whose page was opened from a home card
//   at most HOME_SOURCE_WINDOW_MS before the context started (this tab; a reload forgets).
// Every track of that context keeps the source until another context is played.

export const HOME_SOURCE_WINDOW_MS = 30 * 60 * 1000;
const MAX_SECTION_BYTES = 64;

const bytes = (s: string) => new TextEncoder().encode(s).length;

/** "home:<section>", or null for a section id the event log would refuse (1..64 bytes). */
export function homeSource(section: string): string | null {
  if (section.length === 0 || bytes(section) > MAX_SECTION_BYTES) return null;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(section)) return null;
  return `home:${section}`;
}

const opened = new Map<string, { source: string; at: number }>();

/** A home card of shelf `section` opened the page of `contextUri` (or is about to play it). */
export function openedFromHome(contextUri: string, section: string, now = Date.now()): void {
  const source = homeSource(section);
  if (!source || !contextUri) return;
  opened.set(contextUri, { source, at: now });
  // Keep the map small: drop what has expired.
  for (const [uri, o] of opened) if (now - o.at > HOME_SOURCE_WINDOW_MS) opened.delete(uri);
}

/** The home source of a context started now, or null when it was not opened from home lately. */
export function homeSourceFor(contextUri: string | null | undefined, now = Date.now()): string | null {
  if (!contextUri) return null;
  const o = opened.get(contextUri);
  if (!o) return null;
  if (now - o.at > HOME_SOURCE_WINDOW_MS || now < o.at) {
    opened.delete(contextUri);
    return null;
  }
  return o.source;
}

/** Forgets every origin (logout, tests). */
export function clearHomeOrigins(): void {
  opened.clear();
}
