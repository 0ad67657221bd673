import { describe, expect, it } from 'vitest';
import { accepts, initialMachineState, transition, type MachineEvent, type MachineState } from './state';

const run = (events: MachineEvent[], from: MachineState = initialMachineState) => events.reduce(transition, from);

describe('player state machine', () => {
  it('loads, plays and pauses', () => {
    let s = transition(initialMachineState, { type: 'load', autoplay: true });
    expect(s).toEqual({ status: 'loading', autoplay: true, error: null });
    s = transition(s, { type: 'playing' });
    expect(s.status).toBe('playing');
    s = transition(s, { type: 'pause' });
    expect(s.status).toBe('paused');
    s = transition(s, { type: 'play' });
    expect(s.status).toBe('playing');
  });

  it('a load without autoplay ends paused', () => {
    expect(run([{ type: 'load', autoplay: false }, { type: 'loaded' }]).status).toBe('paused');
    expect(run([{ type: 'load', autoplay: true }, { type: 'loaded' }]).status).toBe('playing');
  });

  it('play and pause while loading change what happens once loaded', () => {
    const paused = run([{ type: 'load', autoplay: true }, { type: 'pause' }]);
    expect(paused).toEqual({ status: 'loading', autoplay: false, error: null });
    expect(transition(paused, { type: 'loaded' }).status).toBe('paused');
    const resumed = transition(paused, { type: 'play' });
    expect(transition(resumed, { type: 'loaded' }).status).toBe('playing');
  });

  it('ended goes idle; errors carry their message; retry loads again', () => {
    expect(run([{ type: 'load', autoplay: true }, { type: 'playing' }, { type: 'ended' }]).status).toBe('idle');
    const failed = run([{ type: 'load', autoplay: true }, { type: 'error', message: 'Could not play “X”.' }]);
    expect(failed).toEqual({ status: 'error', autoplay: false, error: 'Could not play “X”.' });
    const retried = transition(failed, { type: 'retry' });
    expect(retried).toEqual({ status: 'loading', autoplay: true, error: null });
  });

  it('a new load leaves the error state and clears the error', () => {
    const failed = run([{ type: 'load', autoplay: true }, { type: 'error', message: 'bad' }]);
    expect(transition(failed, { type: 'load', autoplay: false })).toEqual({ status: 'loading', autoplay: false, error: null });
  });

  it('ignores events that make no sense, returning the same state object', () => {
    const idle = initialMachineState;
    const invalidFromIdle: MachineEvent[] = [
      { type: 'play' }, { type: 'pause' }, { type: 'playing' }, { type: 'loaded' }, { type: 'ended' },
      { type: 'error', message: 'x' }, { type: 'retry' }, { type: 'stop' },
    ];
    for (const e of invalidFromIdle) {
      expect(transition(idle, e)).toBe(idle);
      expect(accepts(idle, e)).toBe(false);
    }
    const playing = run([{ type: 'load', autoplay: true }, { type: 'playing' }]);
    for (const e of [{ type: 'play' }, { type: 'playing' }, { type: 'loaded' }, { type: 'retry' }] as MachineEvent[]) {
      expect(transition(playing, e)).toBe(playing);
    }
    const paused = transition(playing, { type: 'pause' });
    expect(transition(paused, { type: 'pause' })).toBe(paused);
    expect(transition(paused, { type: 'loaded' })).toBe(paused);
    const failed = transition(paused, { type: 'error', message: 'x' });
    for (const e of [{ type: 'play' }, { type: 'pause' }, { type: 'playing' }, { type: 'ended' }, { type: 'loaded' }] as MachineEvent[]) {
      expect(transition(failed, e)).toBe(failed);
    }
    expect(transition(failed, { type: 'error', message: 'again' })).toBe(failed);
  });

  it('stop returns to idle from anywhere', () => {
    for (const events of [
      [{ type: 'load', autoplay: true }],
      [{ type: 'load', autoplay: true }, { type: 'playing' }],
      [{ type: 'load', autoplay: true }, { type: 'error', message: 'x' }],
    ] as MachineEvent[][]) {
      expect(transition(run(events), { type: 'stop' })).toEqual(initialMachineState);
    }
  });

  it('an error without words still says something', () => {
    const s = run([{ type: 'load', autoplay: true }, { type: 'error', message: '' }]);
    expect(s.error).toBe('Playback failed.');
  });
});
