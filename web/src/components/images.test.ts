import { describe, expect, it } from 'vitest';
import { pickImage } from './images';

const images = [
  { url: '640', width: 640, height: 640 },
  { url: '64', width: 64, height: 64 },
  { url: '300', width: 300, height: 300 },
];

describe('pickImage', () => {
  it('picks the smallest image that is big enough', () => {
    expect(pickImage(images, 40)?.url).toBe('64');
    expect(pickImage(images, 200)?.url).toBe('300');
    expect(pickImage(images, 200, 2)?.url).toBe('640');
  });

  it('falls back to the largest image, and to none', () => {
    expect(pickImage(images, 1000)?.url).toBe('640');
    expect(pickImage([], 100)).toBeNull();
    expect(pickImage(undefined, 100)).toBeNull();
    expect(pickImage([{ url: 'x', width: null, height: null }], 100)?.url).toBe('x');
  });
});
