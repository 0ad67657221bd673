import { describe, expect, it } from 'vitest';
import { formatDuration, formatTotal, releaseYear, totalDuration } from './format';

describe('formatting', () => {
  it('formats track durations as m:ss', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(7_999)).toBe('0:07');
    expect(formatDuration(187_000)).toBe('3:07');
    expect(formatDuration(600_000)).toBe('10:00');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
  });

  it('formats album totals', () => {
    expect(formatTotal(1, 185_000)).toBe('1 song, 3 min');
    expect(formatTotal(12, 47 * 60_000 + 20_000)).toBe('12 songs, 47 min');
    expect(formatTotal(20, 65 * 60_000)).toBe('20 songs, 1 hr 5 min');
    expect(formatTotal(30, 120 * 60_000)).toBe('30 songs, 2 hr');
    expect(formatTotal(0, 0)).toBe('0 songs, 0 min');
  });

  it('adds up durations', () => {
    expect(totalDuration([{ duration_ms: 1000 }, { duration_ms: 2500 }])).toBe(3500);
  });

  it('takes the year of a release date', () => {
    expect(releaseYear('1969-09-26')).toBe('1969');
    expect(releaseYear('2001')).toBe('2001');
    expect(releaseYear('')).toBe('');
    expect(releaseYear(undefined)).toBe('');
    expect(releaseYear('0000')).toBe('');
  });
});
