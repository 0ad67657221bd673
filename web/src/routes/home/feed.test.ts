import { describe, expect, it } from 'vitest';
import type { HomeResponse } from '../../api/home';
import { homeDevice, utcOffsetMinutes } from '../../api/home';
import { clickEvent, impressionEvent, MAX_IMPRESSION_ITEMS, MAX_IMPRESSION_SECTIONS, shelfTracks, toShelves } from './feed';

const artist = (n: number) => ({ id: `ar${n}`, name: `Artist ${n}`, uri: `segue:artist:ar${n}`, images: [{ url: `/a${n}.jpg`, width: 300, height: 300 }] });
const album = (n: number) => ({ id: `al${n}`, name: `Album ${n}`, uri: `segue:album:al${n}`, images: [{ url: `/c${n}.jpg`, width: 300, height: 300 }], artists: [artist(n), artist(n + 1)] });
const track = (n: number) => ({
  id: `t${n}`, name: `Track ${n}`, uri: `segue:track:t${n}`, duration_ms: 1000, disc_number: 1, track_number: n, artists: [artist(n)], album: album(n),
});
const playlist = (n: number) => ({
  id: `p${n}`, name: `Mix ${n}`, description: null, public: false, collaborative: false, owner: { id: 'segue', display_name: 'Segue' },
  snapshot_id: 's', images: null, uri: `segue:playlist:p${n}`, tracks: { total: 30 },
});

function home(sections: HomeResponse['sections']): HomeResponse {
  return { impression_id: 'imp1', policy_version: '3', experiment_arm: 'bandit', generated_at: 1, cached: false, sections };
}

describe('toShelves', () => {
  it('keeps the served order of shelves and items and maps each kind to a card', () => {
    const shelves = toShelves(home([
      { id: 'because_you_listened:ar9', title: 'Because you listened to Artist 9', position: 0, propensity: 0.9,
        items: [{ type: 'track', track: track(2) }, { type: 'track', track: track(1) }] },
      { id: 'made_for_you', title: 'Made for you', position: 1, propensity: 0.05, items: [{ type: 'playlist', playlist: playlist(1) }] },
      { id: 'new_releases', title: 'New releases for you', position: 2, propensity: 0.05, items: [{ type: 'album', album: album(4) }] },
      { id: 'artists_for_you', title: 'Artists you might like', position: 3, propensity: 0.05, items: [{ type: 'artist', artist: artist(7) }] },
    ]));
    expect(shelves.map((s) => s.id)).toEqual(['because_you_listened:ar9', 'made_for_you', 'new_releases', 'artists_for_you']);
    const [tracks, mixes, albums, artists] = shelves;
    expect(tracks.title).toBe('Because you listened to Artist 9');
    expect(tracks.cards.map((c) => [c.kind, c.uri, c.name, c.subtitle, c.href, c.rank])).toEqual([
      ['track', 'segue:track:t2', 'Track 2', 'Artist 2', null, 0],
      ['track', 'segue:track:t1', 'Track 1', 'Artist 1', null, 1],
    ]);
    expect(tracks.cards[0].images[0].url).toBe('/c2.jpg'); // a track shows its album's cover
    expect(mixes.cards[0]).toMatchObject({ kind: 'playlist', uri: 'segue:playlist:p1', subtitle: 'By Segue', href: '/playlist/p1', images: [] });
    expect(albums.cards[0]).toMatchObject({ kind: 'album', name: 'Album 4', subtitle: 'Artist 4, Artist 5', href: '/album/al4' });
    expect(artists.cards[0]).toMatchObject({ kind: 'artist', uri: 'segue:artist:ar7', subtitle: 'Artist', href: '/artist/ar7' });
  });

  it('builds a URI from kind and id when the item has none, and encodes ids in links', () => {
    const [shelf] = toShelves(home([{ id: 'x', title: 'X', position: 0, propensity: 1,
      items: [{ type: 'album', album: { ...album(1), id: 'a/b', uri: '' } }] }]));
    expect(shelf.cards[0].uri).toBe('segue:album:a/b');
    expect(shelf.cards[0].href).toBe('/album/a%2Fb');
  });

  it('shows an item once per page, drops unknown kinds and leaves out shelves with nothing to show', () => {
    const shelves = toShelves(home([
      { id: 'a', title: 'A', position: 0, propensity: 1, items: [{ type: 'track', track: track(1) }, { type: 'track', track: track(1) }] },
      { id: 'b', title: 'B', position: 1, propensity: 1, items: [{ type: 'track', track: track(1) }] },
      { id: 'c', title: 'C', position: 2, propensity: 1, items: [{ type: 'show', show: {} } as never, { type: 'track', track: track(3) }] },
      { id: 'd', title: 'D', position: 3, propensity: 1, items: [] },
    ]));
    expect(shelves.map((s) => [s.id, s.cards.map((c) => c.uri), s.cards.map((c) => c.rank)])).toEqual([
      ['a', ['segue:track:t1'], [0]],
      ['c', ['segue:track:t3'], [0]],
    ]);
  });

  it('shows a radio played lately as a card of its seed that logs the seed URI', () => {
    const radio = { type: 'radio' as const, uri: 'segue:radio:segue:artist:ar7', href: '/v1/artists/ar7', name: 'Artist 7',
      images: [{ url: '/a7.jpg', width: 300, height: 300 }], seed: { type: 'artist', id: 'ar7', uri: 'segue:artist:ar7' } };
    const shelves = toShelves(home([
      { id: 'recently_played', title: 'Recently played', position: 0, propensity: 1,
        items: [{ type: 'radio', radio }, { type: 'artist', artist: artist(7) }, { type: 'radio', radio: { ...radio, seed: { ...radio.seed, uri: 'x' } } }] },
    ]));
    expect(shelves[0].cards.map((c) => [c.kind, c.id, c.uri, c.name, c.subtitle, c.href])).toEqual([
      ['radio', 'segue:radio:segue:artist:ar7', 'segue:artist:ar7', 'Artist 7 Radio', 'Radio', null],
      ['artist', 'ar7', 'segue:artist:ar7', 'Artist 7', 'Artist', '/artist/ar7'],
    ]);
    expect(clickEvent(shelves[0], shelves[0].cards[0], 5)).toMatchObject({ section: 'recently_played', item_uri: 'segue:artist:ar7', rank: 0 });
  });

  it('has no shelves for a missing or empty feed (the page falls back)', () => {
    expect(toShelves(null)).toEqual([]);
    expect(toShelves(home([]))).toEqual([]);
  });

  it('lists the track cards of a shelf for playing it from one of them', () => {
    const [shelf] = toShelves(home([{ id: 'm', title: 'M', position: 0, propensity: 1,
      items: [{ type: 'album', album: album(1) }, { type: 'track', track: track(5) }, { type: 'track', track: track(6) }] }]));
    expect(shelfTracks(shelf).map((c) => c.id)).toEqual(['t5', 't6']);
  });
});

describe('home events', () => {
  it('a page shown is one home_impression: section ids in the order shown and the URIs of their cards', () => {
    const shelves = toShelves(home([
      { id: 'recommended_tracks', title: 'Recommended for you', position: 0, propensity: 0.9, items: [{ type: 'track', track: track(1) }, { type: 'track', track: track(2) }] },
      { id: 'jump_back_in', title: 'Jump back in', position: 1, propensity: 0.1, items: [{ type: 'artist', artist: artist(3) }] },
    ]));
    expect(impressionEvent(shelves, 1234)).toEqual({
      type: 'home_impression', section_ids: ['recommended_tracks', 'jump_back_in'],
      item_uris: ['segue:track:t1', 'segue:track:t2', 'segue:artist:ar3'], timestamp: 1234,
    });
    expect(impressionEvent([], 1)).toBeNull();
  });

  it('keeps an impression within the event log limits (100 section ids of at most 64 bytes, 500 URIs)', () => {
    const many = Array.from({ length: 120 }, (_, i) => ({
      id: `s${i}`, title: `S${i}`, position: i, propensity: 1,
      items: Array.from({ length: 10 }, (_, j) => ({ type: 'track' as const, track: track(i * 10 + j) })),
    }));
    many.unshift({ id: 'é'.repeat(33), title: 'Too long', position: -1, propensity: 1, items: [{ type: 'track', track: track(99999) }] });
    const event = impressionEvent(toShelves(home(many)), 1);
    if (event?.type !== 'home_impression') throw new Error('no impression');
    expect(event.section_ids).toHaveLength(MAX_IMPRESSION_SECTIONS);
    expect(event.section_ids[0]).toBe('s0'); // 66 bytes: refused by the log, so not listed
    expect(event.item_uris).toHaveLength(MAX_IMPRESSION_ITEMS);
    expect(event.item_uris.at(-1)).toBe('segue:track:t499');
  });

  it('a click names the shelf, the item and its rank in the shelf', () => {
    const [, shelf] = toShelves(home([
      { id: 'a', title: 'A', position: 0, propensity: 1, items: [{ type: 'track', track: track(1) }] },
      { id: 'because_you_listened:ar1', title: 'B', position: 1, propensity: 1, items: [{ type: 'track', track: track(2) }, { type: 'album', album: album(3) }] },
    ]));
    expect(clickEvent(shelf, shelf.cards[1], 55)).toEqual({
      type: 'home_click', section: 'because_you_listened:ar1', item_uri: 'segue:album:al3', rank: 1, timestamp: 55,
    });
    expect(clickEvent({ id: 'x'.repeat(65) }, shelf.cards[0])).toBeNull();
  });
});

describe('home request context', () => {
  it('sends minutes east of UTC from the browser clock, within the server range', () => {
    const at = (offset: number) => ({ getTimezoneOffset: () => offset }) as Date;
    expect(utcOffsetMinutes(at(-60))).toBe(60); // UTC+1
    expect(utcOffsetMinutes(at(300))).toBe(-300); // UTC-5
    expect(utcOffsetMinutes(at(-900))).toBe(840);
  });

  it('is a Smartphone only on a narrow touch screen', () => {
    const media = (narrow: boolean, coarse: boolean) => (q: string) => (q.includes('max-width') ? narrow : coarse);
    expect(homeDevice(media(true, true))).toBe('Smartphone');
    expect(homeDevice(media(true, false))).toBe('Computer');
    expect(homeDevice(media(false, true))).toBe('Computer');
  });
});
