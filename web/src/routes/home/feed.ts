// The server's home feed as the page shows it: shelves in the served order, each a list of cards,
// and the events the page logs about them (home_impression, home_click; docs/formats/event-log.md).
import type { HomeItem, HomeResponse } from '../../api/home';
import type { Image } from '../../api/types';
import type { HomeEvent } from '../../player/types';

export type CardKind = HomeItem['type'];

export interface HomeCard {
  kind: CardKind;
  id: string;
  /** The item URI the event log takes: segue:<kind>:<id> (or the item's own spotify:/segue: URI);
   *  a radio card's is its seed's (the log takes no radio URI). */
  uri: string;
  name: string;
  /** Artists of a track or album, the owner of a playlist, "Artist" for an artist. */
  subtitle: string;
  images: Image[];
  /** The page a card opens; null for a track or a radio (those cards play). */
  href: string | null;
  /** 0-based position of the card in its shelf as shown (the rank of a home_click). */
  rank: number;
  item: HomeItem;
}

export interface HomeShelf {
  id: string;
  title: string;
  cards: HomeCard[];
}

// Limits of the event log's home_impression and home_click (docs/formats/event-log.md).
export const MAX_IMPRESSION_SECTIONS = 100;
export const MAX_IMPRESSION_ITEMS = 500;
const MAX_SECTION_BYTES = 64;
const MAX_RANK = 9_999;

const bytes = (s: string) => new TextEncoder().encode(s).length;

function itemUri(kind: CardKind, item: { id: string; uri?: string }): string {
  return item.uri && /^(segue|spotify):/.test(item.uri) ? item.uri : `segue:${kind}:${item.id}`;
}

const names = (artists: readonly { name: string }[] | undefined) => (artists ?? []).map((a) => a.name).join(', ');

function toCard(item: HomeItem, rank: number): HomeCard | null {
  switch (item.type) {
    case 'track': {
      const t = item.track;
      if (!t?.id) return null;
      return { kind: 'track', id: t.id, uri: itemUri('track', t), name: t.name, subtitle: names(t.artists),
        images: t.album?.images ?? [], href: null, rank, item };
    }
    case 'album': {
      const a = item.album;
      if (!a?.id) return null;
      return { kind: 'album', id: a.id, uri: itemUri('album', a), name: a.name, subtitle: names(a.artists),
        images: a.images ?? [], href: `/album/${encodeURIComponent(a.id)}`, rank, item };
    }
    case 'artist': {
      const a = item.artist;
      if (!a?.id) return null;
      return { kind: 'artist', id: a.id, uri: itemUri('artist', a), name: a.name, subtitle: 'Artist',
        images: a.images ?? [], href: `/artist/${encodeURIComponent(a.id)}`, rank, item };
    }
    case 'playlist': {
      const p = item.playlist;
      if (!p?.id) return null;
      const owner = p.owner ? p.owner.display_name || p.owner.id : '';
      return { kind: 'playlist', id: p.id, uri: itemUri('playlist', p), name: p.name, subtitle: owner ? `By ${owner}` : 'Playlist',
        images: p.images ?? [], href: `/playlist/${encodeURIComponent(p.id)}`, rank, item };
    }
    case 'radio': {
      const r = item.radio;
      if (!r?.uri || !r.seed?.uri || !/^(segue|spotify):/.test(r.seed.uri)) return null;
      return { kind: 'radio', id: r.uri, uri: r.seed.uri, name: `${r.name} Radio`, subtitle: 'Radio',
        images: r.images ?? [], href: null, rank, item };
    }
    default:
      return null; // a kind this player does not know yet
  }
}

/**
 * The shelves to show, in the order the server served them (its bandit's order), each item once
 * per page. Shelves without a card this player can show are left out.
 */
export function toShelves(home: Pick<HomeResponse, 'sections'> | null | undefined): HomeShelf[] {
  const shelves: HomeShelf[] = [];
  const seen = new Set<string>();
  const shownUris = new Set<string>();
  for (const section of home?.sections ?? []) {
    if (!section || typeof section.id !== 'string' || seen.has(section.id)) continue;
    const cards: HomeCard[] = [];
    for (const item of section.items ?? []) {
      const card = item ? toCard(item, cards.length) : null;
      // Once per page; a radio is not its seed (an artist's card and its radio may both show).
      const key = card ? `${card.kind}|${card.uri}` : '';
      if (!card || shownUris.has(key)) continue;
      shownUris.add(key);
      cards.push(card);
    }
    if (cards.length === 0) continue;
    seen.add(section.id);
    shelves.push({ id: section.id, title: section.title || 'For you', cards });
  }
  return shelves;
}

/** The track cards of a shelf, in order: playing one plays the shelf from there. */
export function shelfTracks(shelf: HomeShelf): HomeCard[] {
  return shelf.cards.filter((c) => c.kind === 'track');
}

/**
 * One home_impression for a page shown: the shelves' ids in the order shown, and the URIs of the
 * cards on them, within the event log's limits (100 ids of 1..64 bytes, 500 URIs).
 * null when there is nothing to log.
 */
export function impressionEvent(shelves: readonly HomeShelf[], now = Date.now()): HomeEvent | null {
  const shown = shelves.filter((s) => s.id.length > 0 && bytes(s.id) <= MAX_SECTION_BYTES).slice(0, MAX_IMPRESSION_SECTIONS);
  if (shown.length === 0) return null;
  const uris: string[] = [];
  for (const shelf of shown) {
    for (const card of shelf.cards) {
      if (uris.length >= MAX_IMPRESSION_ITEMS) break;
      uris.push(card.uri);
    }
  }
  return { type: 'home_impression', section_ids: shown.map((s) => s.id), item_uris: uris, timestamp: now };
}

/** A home_click for a card opened or played; null for a shelf id the event log would refuse. */
export function clickEvent(shelf: Pick<HomeShelf, 'id'>, card: Pick<HomeCard, 'uri' | 'rank'>, now = Date.now()): HomeEvent | null {
  if (shelf.id.length === 0 || bytes(shelf.id) > MAX_SECTION_BYTES) return null;
  return { type: 'home_click', section: shelf.id, item_uri: card.uri, rank: Math.max(0, Math.min(MAX_RANK, card.rank)), timestamp: now };
}
