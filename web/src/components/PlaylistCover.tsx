// A playlist's cover: its own image, else a mosaic of up to four album covers, else a note.
import type { Image } from '../api/types';
import { Cover } from './Cover';

export function PlaylistCover({ images, mosaic = [], size, alt, class: className = '', eager = false }: {
  images: readonly Image[] | null | undefined; mosaic?: readonly Image[][]; size: number; alt: string; class?: string; eager?: boolean;
}) {
  if ((images && images.length > 0) || mosaic.length < 4) {
    return <Cover images={images && images.length > 0 ? images : mosaic[0]} size={size} alt={alt} class={className} eager={eager} />;
  }
  return (
    <div class={`cover cover-mosaic ${className}`} {...(alt ? { role: 'img', 'aria-label': alt } : { 'aria-hidden': 'true' })}>
      {mosaic.slice(0, 4).map((m, i) => <Cover key={i} images={m} size={size / 2} alt="" eager={eager} />)}
    </div>
  );
}
