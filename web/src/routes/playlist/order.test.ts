import { describe, expect, it } from 'vitest';
import { applyMove, dropBefore, dropOnto, finalIndex, mosaicImages, moveDown, moveUp, playlistDuration } from './order';

const list = ['a', 'b', 'c', 'd', 'e'];

describe('playlist reorder math', () => {
  it('moves an item up by one', () => {
    const move = moveUp(2)!;
    expect(move).toEqual({ range_start: 2, insert_before: 1, range_length: 1 });
    expect(applyMove(list, move)).toEqual(['a', 'c', 'b', 'd', 'e']);
    expect(finalIndex(move)).toBe(1);
    expect(moveUp(0)).toBeNull();
  });

  it('moves an item down by one', () => {
    const move = moveDown(2, list.length)!;
    expect(move).toEqual({ range_start: 2, insert_before: 4, range_length: 1 });
    expect(applyMove(list, move)).toEqual(['a', 'b', 'd', 'c', 'e']);
    expect(finalIndex(move)).toBe(3);
    expect(moveDown(4, list.length)).toBeNull();
    expect(applyMove(list, moveDown(3, list.length)!)).toEqual(['a', 'b', 'c', 'e', 'd']);
  });

  it('drops an item onto another row, up or down the list', () => {
    const down = dropOnto(0, 3)!;
    expect(down).toEqual({ range_start: 0, insert_before: 4, range_length: 1 });
    expect(applyMove(list, down)).toEqual(['b', 'c', 'd', 'a', 'e']);
    expect(finalIndex(down)).toBe(3);
    const up = dropOnto(4, 1)!;
    expect(up).toEqual({ range_start: 4, insert_before: 1, range_length: 1 });
    expect(applyMove(list, up)).toEqual(['a', 'e', 'b', 'c', 'd']);
    expect(finalIndex(up)).toBe(1);
    expect(applyMove(list, dropOnto(1, 4)!)).toEqual(['a', 'c', 'd', 'e', 'b']);
    expect(dropOnto(2, 2)).toBeNull();
  });

  it('drops an item into a gap, including the end of the list', () => {
    expect(applyMove(list, dropBefore(1, 5)!)).toEqual(['a', 'c', 'd', 'e', 'b']);
    expect(applyMove(list, dropBefore(3, 0)!)).toEqual(['d', 'a', 'b', 'c', 'e']);
    expect(dropBefore(2, 2)).toBeNull();
    expect(dropBefore(2, 3)).toBeNull();
  });

  it('agrees with moving one step at a time', () => {
    for (let from = 0; from < list.length; from++) {
      for (let to = 0; to < list.length; to++) {
        let stepwise = [...list];
        let at = from;
        while (at < to) stepwise = applyMove(stepwise, moveDown(at++, list.length)!);
        while (at > to) stepwise = applyMove(stepwise, moveUp(at--)!);
        const move = dropOnto(from, to);
        expect(move ? applyMove(list, move) : list).toEqual(stepwise);
        if (move) expect(finalIndex(move)).toBe(to);
      }
    }
  });

  it('leaves the list alone for a move that does nothing or is out of range', () => {
    expect(applyMove(list, { range_start: 1, insert_before: 2, range_length: 1 })).toEqual(list);
    expect(applyMove(list, { range_start: 9, insert_before: 0, range_length: 1 })).toEqual(list);
    expect(applyMove(list, { range_start: 1, insert_before: 0, range_length: 2 })).toEqual(['b', 'c', 'a', 'd', 'e']);
  });
});

describe('playlist totals', () => {
  it('adds up durations, skipping tracks no longer in the library', () => {
    expect(playlistDuration([{ track: { duration_ms: 61_000 } }, { track: null }, { track: { duration_ms: 2_500 } }])).toBe(63_500);
    expect(playlistDuration([])).toBe(0);
  });

  it('picks up to four different album covers', () => {
    const img = (url: string) => [{ url, width: 64, height: 64 }];
    const item = (album: string, images = img(album)) => ({ track: { album: { id: album, images } } });
    const covers = mosaicImages([item('a'), item('a'), { track: null }, item('b', []), item('c'), item('d'), item('e'), item('f')]);
    expect(covers.map((c) => c[0].url)).toEqual(['a', 'c', 'd', 'e']);
  });
});
