import type { Image } from '../api/types';

/**
 * The smallest image at least `cssPixels` wide on this screen (device pixel ratio included), or
 * the largest one when none is big enough. Images of unknown width count as large.
 */
export function pickImage(images: readonly Image[] | undefined, cssPixels: number, pixelRatio = 1): Image | null {
  if (!images || images.length === 0) return null;
  const wanted = cssPixels * pixelRatio;
  const width = (image: Image) => image.width ?? Number.MAX_SAFE_INTEGER;
  const sorted = [...images].sort((a, b) => width(a) - width(b));
  return sorted.find((image) => width(image) >= wanted) ?? sorted[sorted.length - 1];
}
