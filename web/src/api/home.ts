// Segue's home feed: GET /v1/me/home (docs/formats/home.md), shelves ordered for this user, this
// device and this time of day by the server's bandit. Scope user-top-read.
import { api } from './index';
import type { SimplifiedPlaylist } from './playlists';
import type { Artist, Image, RadioSeedRef, SimplifiedAlbum, Track } from './types';

/** A radio station played lately (docs/formats/home.md): its seed's name and images. */
export interface HomeRadio { type: 'radio'; uri: string; href: string | null; name: string; images: Image[]; seed: RadioSeedRef }

export type HomeItem =
  | { type: 'track'; track: Track }
  | { type: 'album'; album: SimplifiedAlbum }
  | { type: 'artist'; artist: Artist }
  | { type: 'playlist'; playlist: SimplifiedPlaylist }
  | { type: 'radio'; radio: HomeRadio };

export interface HomeSectionData {
  id: string;
  title: string;
  position: number;
  propensity: number;
  items: HomeItem[];
}

export interface HomeResponse {
  impression_id: string;
  policy_version: string;
  experiment_arm: string;
  generated_at: number;
  cached: boolean;
  sections: HomeSectionData[];
}

/** The Spotify device type the server's bandit reads: a phone on a narrow touch screen. */
export function homeDevice(match: (query: string) => boolean = mediaMatches): 'Computer' | 'Smartphone' {
  return match('(max-width: 600px)') && match('(pointer: coarse)') ? 'Smartphone' : 'Computer';
}

function mediaMatches(query: string): boolean {
  return typeof matchMedia === 'function' && matchMedia(query).matches;
}

/** Minutes east of UTC from the browser's clock (the server's utc_offset: -840..840). */
export function utcOffsetMinutes(now: Date = new Date()): number {
  return Math.max(-840, Math.min(840, -now.getTimezoneOffset()));
}

export const getHome = (signal?: AbortSignal, now: Date = new Date()) =>
  api.get<HomeResponse>('/v1/me/home', { device: homeDevice(), utc_offset: String(utcOffsetMinutes(now)) }, signal);
