// What a search found: the top result, songs (played from here), artists, albums and playlists
// (links to their pages). Every result is one focusable element the arrow keys move between.
// Each result also carries data-uri (its item URI) and data-rank, which the page reads when the
// result is opened or played to tell the event pipeline (search_click). The rank is the result's
// 0-based position within its own list as shown: the top result is 0, the n-th song of the songs
// list (counting from 0) is n, the n-th card of the artists, albums or playlists is n.
import type { ComponentChildren, HTMLAttributes } from 'preact';
import { useId, useMemo } from 'preact/hooks';
import { toPlayerTrack } from '../../api/convert';
import type { SimplifiedPlaylist } from '../../api/playlists';
import { resultUri, type SearchType, type Suggestions, type TopResult } from '../../api/search';
import type { Artist, SimplifiedAlbum, Track } from '../../api/types';
import { albumKind } from '../../components/AlbumGrid';
import { Cover } from '../../components/Cover';
import { PlayIcon } from '../../components/Icons';
import { PlaylistCover } from '../../components/PlaylistCover';
import { TrackList, type ListTrack } from '../../components/TrackList';
import { usePlayer } from '../../player';

const id = encodeURIComponent;
const names = (artists: readonly { name: string }[]) => artists.map((a) => a.name).join(', ');
/** A song row's data-uri and data-rank (see the top of this file). */
const songMarks = (track: ListTrack, i: number) =>
  // Preact's attribute type lists no data-* names, so an object of only those needs the cast.
  ({ 'data-uri': resultUri('track', track), 'data-rank': i }) as HTMLAttributes<HTMLLIElement>;

function Group({ title, class: className = '', onShowAll, children }: {
  title: string; class?: string; onShowAll?: () => void; children: ComponentChildren;
}) {
  const headingId = useId();
  return (
    <section class={`search-group ${className}`} aria-labelledby={headingId}>
      <div class="search-group-head">
        <h2 id={headingId} class="search-group-title">{title}</h2>
        {onShowAll && (
          <button type="button" class="section-link link-plain" onClick={onShowAll}>
            Show all<span class="visually-hidden"> {title.toLowerCase()}</span>
          </button>
        )}
      </div>
      {children}
    </section>
  );
}

function playlistOwner(p: SimplifiedPlaylist): string {
  return p.owner?.display_name || p.owner?.id || '';
}

function topHref(top: TopResult): string | null {
  switch (top.type) {
    case 'album': return `/album/${id(top.item.id)}`;
    case 'artist': return `/artist/${id(top.item.id)}`;
    case 'playlist': return `/playlist/${id(top.item.id)}`;
    default: return null;
  }
}

function topSubtitle(top: TopResult): string {
  switch (top.type) {
    case 'track': return ['Song', names(top.item.artists)].filter(Boolean).join(' · ');
    case 'album': return [albumKind(top.item.album_type), names(top.item.artists)].filter(Boolean).join(' · ');
    case 'artist': return 'Artist';
    case 'playlist': return ['Playlist', playlistOwner(top.item) && `By ${playlistOwner(top.item)}`].filter(Boolean).join(' · ');
  }
}

function TopCover({ top }: { top: TopResult }) {
  switch (top.type) {
    case 'track': return <Cover images={top.item.album?.images} size={96} alt="" class="search-top-cover" />;
    case 'album': return <Cover images={top.item.images} size={96} alt="" class="search-top-cover" />;
    case 'artist': return <Cover images={top.item.images} size={96} alt="" class="search-top-cover search-round" />;
    case 'playlist': return <PlaylistCover images={top.item.images} size={96} alt="" class="search-top-cover" />;
  }
}

function TopCard({ top, onPlayTrack }: { top: TopResult; onPlayTrack(): void }) {
  const href = topHref(top);
  const body = (
    <>
      <TopCover top={top} />
      <span class="search-top-name">{top.item.name}</span>
      <span class="search-top-sub">{topSubtitle(top)}</span>
      {top.type === 'track' && <span class="search-top-play" aria-hidden="true"><PlayIcon size={24} /></span>}
    </>
  );
  const uri = resultUri(top.type, top.item);
  return href
    ? <a class="search-top-card" href={href} data-result data-kind={top.type} data-uri={uri} data-rank={0}>{body}</a>
    : <button type="button" class="search-top-card" data-result data-kind={top.type} data-uri={uri} data-rank={0} onClick={onPlayTrack}>{body}</button>;
}

function Card({ href, uri, rank, title, sub, round = false, cover }: {
  href: string; uri: string; rank: number; title: string; sub: string; round?: boolean; cover: ComponentChildren;
}) {
  return (
    <li class={`card search-card ${round ? 'search-card-round' : ''}`}>
      <a class="card-link" href={href} data-result data-uri={uri} data-rank={rank}>
        {cover}
        <span class="card-title">{title}</span>
      </a>
      {sub && <span class="card-sub">{sub}</span>}
    </li>
  );
}

export function ArtistCards({ artists }: { artists: readonly Artist[] }) {
  return (
    <ul class="album-grid search-grid" aria-label="Artists">
      {artists.map((a, i) => (
        <Card key={a.id} href={`/artist/${id(a.id)}`} uri={resultUri('artist', a)} rank={i} title={a.name} sub="Artist" round
          cover={<Cover images={a.images} size={160} alt="" class="card-cover search-round" />} />
      ))}
    </ul>
  );
}

export function AlbumCards({ albums }: { albums: readonly SimplifiedAlbum[] }) {
  return (
    <ul class="album-grid search-grid" aria-label="Albums">
      {albums.map((a, i) => (
        <Card key={a.id} href={`/album/${id(a.id)}`} uri={resultUri('album', a)} rank={i} title={a.name} sub={names(a.artists)}
          cover={<Cover images={a.images} size={160} alt="" class="card-cover" />} />
      ))}
    </ul>
  );
}

export function PlaylistCards({ playlists }: { playlists: readonly SimplifiedPlaylist[] }) {
  return (
    <ul class="album-grid search-grid" aria-label="Playlists">
      {playlists.map((p, i) => (
        <Card key={p.id} href={`/playlist/${id(p.id)}`} uri={resultUri('playlist', p)} rank={i} title={p.name} sub={playlistOwner(p) && `By ${playlistOwner(p)}`}
          cover={<PlaylistCover images={p.images} size={160} alt="" class="card-cover" />} />
      ))}
    </ul>
  );
}

/** "Show all" for a group that may have more than it shows. */
const more = (items: readonly unknown[], limit: number, show?: () => void) => (show && items.length >= limit ? show : undefined);

export function Results({ data, limit, onShowAll }: { data: Suggestions; limit: number; onShowAll?: (type: SearchType) => void }) {
  const player = usePlayer();
  const songs = useMemo<ListTrack[]>(() => data.tracks.map((t) => toPlayerTrack(t)), [data]);
  const top = data.top_result;

  const playTopTrack = () => {
    if (top?.type !== 'track') return;
    const first = toPlayerTrack(top.item);
    player.playTracks([first, ...songs.filter((s) => s.id !== first.id)], 0, undefined, 'Search');
  };

  return (
    <>
      {(top || songs.length > 0) && (
        <div class="search-top-row">
          {top && (
            <Group title="Top result" class="search-top">
              <TopCard top={top} onPlayTrack={playTopTrack} />
            </Group>
          )}
          {songs.length > 0 && (
            <Group title="Songs" class="search-songs" onShowAll={more(songs, limit, onShowAll && (() => onShowAll('track')))}>
              <TrackList tracks={songs} label="Songs" contextName="Search" showCover addToPlaylist rowProps={songMarks} />
            </Group>
          )}
        </div>
      )}
      {data.artists.length > 0 && (
        <Group title="Artists" onShowAll={more(data.artists, limit, onShowAll && (() => onShowAll('artist')))}>
          <ArtistCards artists={data.artists} />
        </Group>
      )}
      {data.albums.length > 0 && (
        <Group title="Albums" onShowAll={more(data.albums, limit, onShowAll && (() => onShowAll('album')))}>
          <AlbumCards albums={data.albums} />
        </Group>
      )}
      {data.playlists.length > 0 && (
        <Group title="Playlists" onShowAll={more(data.playlists, limit, onShowAll && (() => onShowAll('playlist')))}>
          <PlaylistCards playlists={data.playlists} />
        </Group>
      )}
    </>
  );
}

/** Every result of one type (a filter chip), a page at a time. */
export function TypeResults({ type, items }: { type: SearchType; items: readonly { id: string }[] }) {
  const songs = useMemo<ListTrack[]>(() => (type === 'track' ? (items as Track[]).map((t) => toPlayerTrack(t)) : []), [type, items]);
  switch (type) {
    case 'track':
      return <TrackList tracks={songs} label="Songs" contextName="Search" showCover showAlbum addToPlaylist rowProps={songMarks} />;
    case 'artist':
      return <ArtistCards artists={items as Artist[]} />;
    case 'album':
      return <AlbumCards albums={items as SimplifiedAlbum[]} />;
    case 'playlist':
      return <PlaylistCards playlists={items as SimplifiedPlaylist[]} />;
  }
}
