import { describe, expect, it } from 'vitest';
import type { PlayHistory, Track } from '../../api/types';
import { greeting, recentRadios, uniqueRecentTracks } from './recent';

const track = (id: string) => ({ id, name: id }) as Track;
const played = (id: string, at: string): PlayHistory => ({ track: track(id), played_at: at, context: null });

describe('recently played', () => {
  it('keeps each track once, most recent first', () => {
    const history = [played('a', '3'), played('b', '2'), played('a', '1'), played('c', '0')];
    expect(uniqueRecentTracks(history).map((t) => t.id)).toEqual(['a', 'b', 'c']);
  });

  it('lists each radio station once, named after its seed, most recent first', () => {
    const radio = (seed: string, name: string | null) => ({ type: 'radio', uri: `segue:radio:${seed}`, href: null,
      seed: { type: seed.split(':')[1], id: seed.split(':')[2], uri: seed, name } });
    const history: PlayHistory[] = [
      { ...played('a', '4'), context: radio('segue:artist:ar1', 'Ash') },
      { ...played('b', '3'), context: { type: 'album', uri: 'segue:album:al1' } },
      { ...played('c', '2'), context: radio('segue:playlist:p1', null) },
      { ...played('d', '1'), context: radio('segue:artist:ar1', 'Ash') },
    ];
    expect(recentRadios(history).map((r) => [r.uri, r.seedUri, r.name])).toEqual([
      ['segue:radio:segue:artist:ar1', 'segue:artist:ar1', 'Ash'],
      ['segue:radio:segue:playlist:p1', 'segue:playlist:p1', 'Playlist'],
    ]);
  });

  it('greets by the time of day', () => {
    expect(greeting(8)).toBe('Good morning');
    expect(greeting(13)).toBe('Good afternoon');
    expect(greeting(23)).toBe('Good evening');
    expect(greeting(2)).toBe('Good evening');
  });
});
