import { describe, expect, it } from 'vitest';
import { emptyDraft, fromRules, newCondition, summary, toRules, withField, type RulesDraft } from './rules';

const draft = (patch: Partial<RulesDraft>): RulesDraft => ({ ...emptyDraft(), ...patch });

describe('toRules', () => {
  it('writes a tempo range, a sort and a limit in the server shape', () => {
    const r = toRules(draft({
      match: 'all',
      conditions: [{ field: 'tempo', op: 'inTheRange', value: '118', value2: '135.5' }, { field: 'saved', op: 'is', value: 'false', value2: '' }],
      sort: 'playcount', descending: true, limit: '25',
    }));
    expect(r).toEqual({ rules: { all: [{ inTheRange: { tempo: [118, 135.5] } }, { is: { saved: false } }], sort: '-playcount', limit: 25 } });
  });

  it('keeps dates as text and days as numbers', () => {
    const r = toRules(draft({
      match: 'any',
      conditions: [{ field: 'dateadded', op: 'inTheRange', value: '2024-01-01', value2: '2024-12-31' }, { field: 'lastplayed', op: 'inTheLast', value: '30', value2: '' }],
    }));
    expect(r).toEqual({ rules: { any: [{ inTheRange: { dateadded: ['2024-01-01', '2024-12-31'] } }, { inTheLast: { lastplayed: 30 } }] } });
  });

  it('passes a value that is not a number on, for the server to name', () => {
    const r = toRules(draft({ conditions: [{ field: 'year', op: 'gt', value: 'nineteen', value2: '' }] }));
    expect(r).toEqual({ rules: { all: [{ gt: { year: 'nineteen' } }] } });
  });

  it('asks for what is missing', () => {
    expect(toRules(draft({ conditions: [] }))).toEqual({ error: 'Add at least one condition.' });
    expect(toRules(draft({ conditions: [{ field: 'genre', op: 'is', value: ' ', value2: '' }] }))).toEqual({ error: 'Condition 1: give a value.' });
    expect(toRules(draft({ conditions: [{ field: 'tempo', op: 'inTheRange', value: '100', value2: '' }] })))
      .toEqual({ error: 'Condition 1: give both ends of the range.' });
    expect(toRules(draft({ conditions: [newCondition('saved')], limit: '2.5' }))).toHaveProperty('error');
  });
});

describe('fromRules', () => {
  it('reads back what toRules wrote, the seed of a random order kept', () => {
    const d = draft({
      match: 'any',
      conditions: [{ field: 'energy', op: 'gt', value: '0.7', value2: '' }, { field: 'artist', op: 'contains', value: 'ash', value2: '' }],
      sort: 'random', limit: '10', seed: 42,
    });
    const r = toRules(d);
    expect(r).toEqual({ rules: { any: [{ gt: { energy: 0.7 } }, { contains: { artist: 'ash' } }], sort: 'random', limit: 10, seed: 42 } });
    expect(fromRules((r as { rules: Record<string, unknown> }).rules)).toEqual(d);
  });

  it('gives up on what the form cannot show', () => {
    expect(fromRules({ all: [{ any: [{ is: { saved: true } }] }] })).toBeNull(); // nested group
    expect(fromRules({ all: [{ gt: { year: 1990 } }], sort: 'year,title' })).toBeNull(); // two sort keys
    expect(fromRules({ all: [{ gt: { rating: 3 } }] })).toBeNull(); // not a Segue field
    expect(fromRules({ all: [{ gt: { title: 3 } }] })).toBeNull(); // an operator the type lacks
    expect(fromRules(null)).toBeNull();
  });
});

describe('editing', () => {
  it('keeps the operator across fields of one type and resets it across types', () => {
    const c = { field: 'tempo', op: 'gt', value: '120', value2: '' };
    expect(withField(c, 'energy')).toEqual({ ...c, field: 'energy' });
    expect(withField(c, 'genre')).toEqual({ field: 'genre', op: 'contains', value: '', value2: '' });
    expect(withField(c, 'saved')).toEqual({ field: 'saved', op: 'is', value: 'true', value2: '' });
  });

  it('summarises rules in one line', () => {
    expect(summary({ all: [{ inTheRange: { tempo: [118, 135] } }, { is: { saved: true } }] }))
      .toBe('Tempo is between 118 and 135 · 1 more (all must match)');
    expect(summary({ all: [{ any: [] }] })).toBe('Custom rules');
  });
});
