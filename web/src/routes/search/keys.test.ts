import { describe, expect, it } from 'vitest';
import { indexOfResult, isTypingKey, move } from './keys';

describe('search keyboard moves', () => {
  it('moves down from the input to the first result and stops at the last', () => {
    expect(move(-1, 3, 'ArrowDown')).toBe(0);
    expect(move(0, 3, 'ArrowDown')).toBe(1);
    expect(move(2, 3, 'ArrowDown')).toBe(2);
  });

  it('moves up, and from the first result back to the input', () => {
    expect(move(2, 3, 'ArrowUp')).toBe(1);
    expect(move(0, 3, 'ArrowUp')).toBe('input');
  });

  it('Home and End jump among results; Escape returns to the input; other keys do nothing', () => {
    expect(move(1, 3, 'Home')).toBe(0);
    expect(move(1, 3, 'End')).toBe(2);
    expect(move(1, 3, 'Escape')).toBe('input');
    expect(move(0, 0, 'Escape')).toBe('input');
    expect(move(0, 0, 'ArrowDown')).toBeNull();
    expect(move(1, 3, 'Enter')).toBeNull();
  });

  it('finds the result an element belongs to (a button in the same row)', () => {
    const list = document.createElement('ul');
    list.innerHTML = '<li><button class="track-play">a</button><button class="save">s</button></li><li><a data-result href="/x">b</a></li>';
    const targets = [...list.querySelectorAll<HTMLElement>('.track-play, [data-result]')];
    expect(indexOfResult(targets, list.querySelector('.save'))).toBe(0);
    expect(indexOfResult(targets, list.querySelector('a'))).toBe(1);
    expect(indexOfResult(targets, document.body)).toBe(-1);
  });

  it('tells typing keys from others', () => {
    const k = (key: string, mods = {}) => ({ key, ctrlKey: false, metaKey: false, altKey: false, ...mods });
    expect(isTypingKey(k('a'))).toBe(true);
    expect(isTypingKey(k(' '))).toBe(false);
    expect(isTypingKey(k('ArrowDown'))).toBe(false);
    expect(isTypingKey(k('a', { ctrlKey: true }))).toBe(false);
  });
});
