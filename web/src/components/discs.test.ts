import { describe, expect, it } from 'vitest';
import { groupByDisc, showDiscHeadings } from './discs';

const t = (disc: number, track: number) => ({ id: `${disc}-${track}`, disc_number: disc, track_number: track });

describe('disc grouping', () => {
  it('keeps a single-disc album in one group without headings', () => {
    const groups = groupByDisc([t(1, 2), t(1, 1), t(1, 3)]);
    expect(groups.map((g) => g.disc)).toEqual([1]);
    expect(groups[0].tracks.map((x) => x.id)).toEqual(['1-1', '1-2', '1-3']);
    expect(showDiscHeadings(groups)).toBe(false);
  });

  it('groups several discs in order', () => {
    const groups = groupByDisc([t(2, 1), t(1, 2), t(2, 2), t(1, 1)]);
    expect(groups.map((g) => [g.disc, g.tracks.map((x) => x.id)])).toEqual([
      [1, ['1-1', '1-2']],
      [2, ['2-1', '2-2']],
    ]);
    expect(showDiscHeadings(groups)).toBe(true);
  });

  it('puts tracks without a disc number on disc 1', () => {
    expect(groupByDisc([{ id: 'x', disc_number: 0, track_number: 1 }])[0].disc).toBe(1);
    expect(groupByDisc([])).toEqual([]);
  });
});
