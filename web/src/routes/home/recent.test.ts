import { describe, expect, it } from 'vitest';
import type { PlayHistory, Track } from '../../api/types';
import { greeting, uniqueRecentTracks } from './recent';

const track = (id: string) => ({ id, name: id }) as Track;
const played = (id: string, at: string): PlayHistory => ({ track: track(id), played_at: at, context: null });

describe('recently played', () => {
  it('keeps each track once, most recent first', () => {
    const history = [played('a', '3'), played('b', '2'), played('a', '1'), played('c', '0')];
    expect(uniqueRecentTracks(history).map((t) => t.id)).toEqual(['a', 'b', 'c']);
  });

  it('greets by the time of day', () => {
    expect(greeting(8)).toBe('Good morning');
    expect(greeting(13)).toBe('Good afternoon');
    expect(greeting(23)).toBe('Good evening');
    expect(greeting(2)).toBe('Good evening');
  });
});
