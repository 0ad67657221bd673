// A list of tracks: number (a Play button on hover or focus), name and artists, optionally cover
// and album, a Save toggle, "Go to radio", "Add to queue" and the duration. Clicking a row plays from it.
import type { ComponentChildren, HTMLAttributes } from 'preact';
import type { PlayerTrack } from '../player/types';
import { usePlayer, usePlayerState } from '../player';
import { AddToPlaylist } from './AddToPlaylist';
import { GoToRadio } from './GoToRadio';
import { ArtistLinks } from './ArtistLinks';
import { Cover } from './Cover';
import { formatDuration } from './format';
import { PlayIcon, QueueIcon } from './Icons';
import { SaveButton } from './SaveButton';
import { useSaved } from './useSaved';

export type ListTrack = PlayerTrack & { track_number?: number; disc_number?: number };

interface Props {
  /** The rows shown. */
  tracks: ListTrack[];
  /** What plays when a row is chosen (defaults to `tracks`); `indexOffset` is where `tracks` starts in it. */
  context?: ListTrack[];
  indexOffset?: number;
  contextUri?: string;
  contextName?: string;
  /** Accessible name of the list. */
  label: string;
  numbering?: 'track' | 'index';
  showAlbum?: boolean;
  showCover?: boolean;
  /** Hides tracks that have been removed from Your Library (the library page). */
  hideUnsaved?: boolean;
  /** Shows an "Add <name> to playlist" menu on each row. */
  addToPlaylist?: boolean;
  /** Extra per-row controls (the playlist page's move and remove buttons), before the Save toggle. */
  rowExtras?: (track: ListTrack, index: number) => ComponentChildren;
  /** Extra attributes for each row (drag and drop). */
  rowProps?: (track: ListTrack, index: number) => HTMLAttributes<HTMLLIElement>;
  /** Stable row keys, when rows move. */
  rowKey?: (track: ListTrack, index: number) => string;
}

export function TrackList(props: Props) {
  const { tracks, context = props.tracks, indexOffset = 0, numbering = 'index' } = props;
  const player = usePlayer();
  const playing = usePlayerState();
  const saved = useSaved('tracks', tracks.map((t) => t.id));
  const visible = props.hideUnsaved ? tracks.filter((t) => saved(t.id) !== false) : tracks;

  const play = (track: ListTrack) => {
    const index = context.indexOf(track, indexOffset);
    player.playTracks(context, index < 0 ? 0 : index, props.contextUri, props.contextName);
  };

  return (
    <ol class={`track-list ${props.showCover ? 'with-cover' : ''} ${props.showAlbum ? 'with-album' : ''}`} aria-label={props.label}>
      {visible.map((track, i) => {
        const current = playing.track?.id === track.id;
        const isSaved = saved(track.id);
        return (
          <li
            key={props.rowKey ? props.rowKey(track, i) : `${track.id}-${i}`}
            class={`track-row ${current ? 'is-current' : ''}`}
            onDblClick={() => play(track)}
            {...props.rowProps?.(track, i)}
          >
            <span class="track-number">
              <span class="track-index" aria-hidden="true">
                {numbering === 'track' && track.track_number ? track.track_number : i + 1}
              </span>
              <button type="button" class="track-play" aria-label={`Play ${track.name}`} onClick={() => play(track)}>
                <PlayIcon size={18} />
              </button>
            </span>
            {props.showCover && <Cover images={track.album.images} size={40} alt="" class="track-cover" />}
            <span class="track-main">
              <span class="track-name">{track.name}</span>
              <span class="track-artists"><ArtistLinks artists={track.artists} /></span>
            </span>
            {props.showAlbum && (
              <span class="track-album"><a href={`/album/${encodeURIComponent(track.album.id)}`}>{track.album.name}</a></span>
            )}
            <span class="track-actions">
              {props.rowExtras?.(track, i)}
              {props.addToPlaylist && <AddToPlaylist track={track} />}
              <GoToRadio uri={track.uri} name={track.name} compact />
              <SaveButton kind="tracks" id={track.id} saved={isSaved} label={`Save ${track.name}`} />
              <button
                type="button"
                class="icon-button track-queue"
                aria-label={`Add ${track.name} to queue`}
                title="Add to queue"
                onClick={() => player.addToQueue(track)}
              >
                <QueueIcon size={18} />
              </button>
            </span>
            <span class="track-duration">{formatDuration(track.duration_ms)}</span>
          </li>
        );
      })}
    </ol>
  );
}
