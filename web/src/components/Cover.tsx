// Cover art from a Spotify `images` array: the right size for the slot, lazy-loaded, with a
// placeholder when there is none (or it fails to load).
import { useState } from 'preact/hooks';
import type { Image } from '../api/types';
import { pickImage } from './images';
import { NoteIcon } from './Icons';

interface Props {
  images: readonly Image[] | undefined;
  /** Rendered width in CSS pixels, to pick the image. */
  size: number;
  /** "" when the name is shown next to it (decorative). */
  alt: string;
  class?: string;
  eager?: boolean;
}

export function Cover({ images, size, alt, class: className = '', eager = false }: Props) {
  const [failed, setFailed] = useState(false);
  const ratio = typeof devicePixelRatio === 'number' ? Math.min(devicePixelRatio, 2) : 1;
  const image = pickImage(images, size, ratio);
  if (!image || failed) {
    return (
      <div class={`cover cover-placeholder ${className}`} {...(alt ? { role: 'img', 'aria-label': alt } : { 'aria-hidden': 'true' })}>
        <NoteIcon size={Math.max(16, Math.round(size / 3))} />
      </div>
    );
  }
  return (
    <img
      class={`cover ${className}`}
      src={image.url}
      alt={alt}
      width={size}
      height={size}
      loading={eager ? 'eager' : 'lazy'}
      decoding="async"
      onError={() => setFailed(true)}
    />
  );
}
