// The Spotify Web API objects the web player reads (only the fields it uses).

export interface Image {
  url: string;
  width: number | null;
  height: number | null;
}

export interface SimplifiedArtist {
  id: string;
  name: string;
  uri: string;
}

export interface Artist extends SimplifiedArtist {
  images?: Image[];
  genres?: string[];
  followers?: { total: number };
}

export interface SimplifiedAlbum {
  id: string;
  name: string;
  uri: string;
  album_type?: string;
  total_tracks?: number;
  release_date?: string;
  release_date_precision?: 'year' | 'month' | 'day';
  images: Image[];
  artists: SimplifiedArtist[];
}

export interface SimplifiedTrack {
  id: string;
  name: string;
  uri: string;
  duration_ms: number;
  disc_number: number;
  track_number: number;
  explicit?: boolean;
  artists: SimplifiedArtist[];
}

export interface Track extends SimplifiedTrack {
  album: SimplifiedAlbum;
}

export interface Paging<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
  next: string | null;
  previous?: string | null;
}

export interface CursorPaging<T> {
  items: T[];
  limit: number;
  next: string | null;
  cursors?: { after?: string | null; before?: string | null } | null;
}

export interface Album extends SimplifiedAlbum {
  tracks: Paging<SimplifiedTrack>;
  label?: string;
  copyrights?: { text: string; type: string }[];
}

export interface PlayHistory {
  track: Track;
  played_at: string;
  /** type "radio" (a Segue extension) for a radio station: `seed` names what it was started from. */
  context: { uri: string; type: string; href?: string | null; seed?: RadioSeedRef | null } | null;
}

/** A radio's seed (docs/formats/radio.md): a track, artist, album or playlist; name null when unknown. */
export interface RadioSeedRef { type: string; id: string; uri: string; name?: string | null }

export interface SavedTrack {
  added_at: string;
  track: Track;
}

export interface SavedAlbum {
  added_at: string;
  album: Album;
}

export interface User {
  id: string;
  display_name: string | null;
  email?: string;
  product?: string;
  images?: Image[];
}
