import { describe, expect, it } from 'vitest';
import type { PlaylistItem } from '../../api/playlists';
import { keyEntries } from './usePlaylist';

const item = (uri: string | null): PlaylistItem => ({
  added_at: null, added_by: null, is_local: false,
  track: uri ? { uri } as unknown as PlaylistItem['track'] : null,
});

describe('playlist row keys', () => {
  it('tells repeated tracks apart by occurrence and stays stable when rows move', () => {
    expect(keyEntries([item('a'), item('b'), item('a'), item(null)]).map((e) => e.key))
      .toEqual(['a#0', 'b#0', 'a#1', 'removed#0']);
    expect(keyEntries([item('b'), item('a')]).map((e) => e.key)).toEqual(['b#0', 'a#0']);
  });
});
