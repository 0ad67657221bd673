import { describe, expect, it } from 'vitest';
import { LatestOnly } from './latest';

describe('LatestOnly', () => {
  it('shows answers in order and aborts the older requests once a newer answer is shown', () => {
    const latest = new LatestOnly();
    const a = latest.start();
    const b = latest.start();
    const c = latest.start();
    expect(latest.accept(b.seq)).toBe(true);
    expect(a.signal.aborted).toBe(true);
    expect(c.signal.aborted).toBe(false);
    expect(latest.accept(a.seq)).toBe(false);
    expect(latest.accept(c.seq)).toBe(true);
    expect(latest.pending).toBe(0);
  });

  it('never goes backwards: an older answer after a newer one is dropped', () => {
    const latest = new LatestOnly();
    const a = latest.start();
    const b = latest.start();
    expect(latest.accept(b.seq)).toBe(true);
    expect(latest.accept(a.seq)).toBe(false);
  });

  it('shows a failure only for the newest request', () => {
    const latest = new LatestOnly();
    const a = latest.start();
    const b = latest.start();
    expect(latest.acceptFailure(a.seq)).toBe(false);
    expect(latest.acceptFailure(b.seq)).toBe(true);
  });

  it('drops every answer still to come after cancelAll', () => {
    const latest = new LatestOnly();
    const a = latest.start();
    latest.cancelAll();
    expect(a.signal.aborted).toBe(true);
    expect(latest.accept(a.seq)).toBe(false);
    const b = latest.start();
    expect(latest.accept(b.seq)).toBe(true);
  });
});
