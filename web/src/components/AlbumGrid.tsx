// A grid of album cards; each card is a link named by the album's name.
import type { SimplifiedAlbum } from '../api/types';
import { Cover } from './Cover';
import { releaseYear } from './format';
import { SaveButton } from './SaveButton';
import { useSaved } from './useSaved';

/** "Album", "Single", "Compilation" from Spotify's album_type. */
export function albumKind(type: string | undefined): string {
  if (type === 'single') return 'Single';
  if (type === 'compilation') return 'Compilation';
  return 'Album';
}

interface Props {
  albums: readonly SimplifiedAlbum[];
  label: string;
  /** Shows a Save toggle on each card (the library page). */
  saveToggles?: boolean;
  hideUnsaved?: boolean;
  /** Leaves out the artist line (the artist page). */
  hideArtists?: boolean;
}

export function AlbumGrid({ albums, label, saveToggles = false, hideUnsaved = false, hideArtists = false }: Props) {
  const saved = useSaved('albums', saveToggles || hideUnsaved ? albums.map((a) => a.id) : []);
  const visible = hideUnsaved ? albums.filter((a) => saved(a.id) !== false) : albums;
  return (
    <ul class="album-grid" aria-label={label}>
      {visible.map((album) => {
        const year = releaseYear(album.release_date);
        const sub = [hideArtists ? albumKind(album.album_type) : album.artists.map((a) => a.name).join(', '), year]
          .filter(Boolean).join(' · ');
        return (
          <li key={album.id} class="card">
            <a class="card-link" href={`/album/${encodeURIComponent(album.id)}`}>
              <Cover images={album.images} size={200} alt="" class="card-cover" />
              <span class="card-title">{album.name}</span>
            </a>
            <span class="card-sub">{sub}</span>
            {saveToggles && (
              <SaveButton kind="albums" id={album.id} saved={saved(album.id)} label={`Save ${album.name}`} class="card-save" />
            )}
          </li>
        );
      })}
    </ul>
  );
}
