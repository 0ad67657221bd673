// The fixed bottom bar: cover, title and artists, transport controls, seek and volume sliders,
// a link to the queue, and the player's errors in words (role="alert").
import { Fragment, type ComponentChildren } from 'preact';
import type { PlayerTrack } from '../types';
import { useState } from 'preact/hooks';
import { usePlayer, usePlayerState } from '../context';
import { coverUrl, formatTime } from '../format';
import '../player.css';
import { NextIcon, PauseIcon, PlayIcon, PreviousIcon, QueueIcon, RepeatIcon, ShuffleIcon, VolumeIcon } from './icons';

const REPEAT_TITLES = { off: 'Repeat: off', context: 'Repeat: all', track: 'Repeat: this track' } as const;

function sliderValue(e: Event): number {
  return Number((e.currentTarget as HTMLInputElement).value);
}

/** `nowPlayingExtra` adds controls next to the playing track (the app's "Add to playlist"). */
export function PlayerBar({ nowPlayingExtra }: { nowPlayingExtra?: (track: PlayerTrack) => ComponentChildren } = {}) {
  const player = usePlayer();
  const s = usePlayerState();
  const [dragSeconds, setDragSeconds] = useState<number | null>(null);
  const track = s.track;
  const durationS = Math.max(0, Math.round(s.durationMs / 1000));
  const positionS = dragSeconds ?? Math.min(durationS, Math.floor(s.positionMs / 1000));
  const busy = s.status === 'playing' || s.status === 'loading';
  const cover = coverUrl(track);
  const volume = Math.round(s.volume * 100);

  return (
    <section class="player-bar" aria-label="Player" data-status={s.status}>
      <div class="player-now">
        {cover ? <img class="player-cover" src={cover} alt="" width={56} height={56} /> : <div class="player-cover player-cover-empty" aria-hidden="true" />}
        <div class="player-meta">
          <div class="player-title" data-testid="now-playing-title">
            {track ? <a href={`/album/${track.album.id}`}>{track.name}</a> : null}
          </div>
          <div class="player-artists">
            {track?.artists.map((a, i) => (
              <Fragment key={a.id}>
                {i > 0 ? ', ' : ''}
                <a href={`/artist/${a.id}`}>{a.name}</a>
              </Fragment>
            ))}
          </div>
        </div>
        {track && nowPlayingExtra?.(track)}
      </div>

      <div class="player-center">
        <div class="player-buttons">
          <button type="button" class="player-btn player-toggle" aria-label="Shuffle" aria-pressed={s.shuffle}
            title={s.shuffle ? 'Shuffle: on' : 'Shuffle: off'} onClick={() => player.toggleShuffle()}>
            <ShuffleIcon />
          </button>
          <button type="button" class="player-btn" aria-label="Previous" title="Previous" disabled={!track}
            onClick={() => player.previous()}>
            <PreviousIcon />
          </button>
          <button type="button" class="player-btn player-play" aria-label={busy ? 'Pause' : 'Play'} title={busy ? 'Pause' : 'Play'}
            disabled={!track && s.queue.upNext.length === 0} onClick={() => player.toggle()}>
            {busy ? <PauseIcon /> : <PlayIcon />}
          </button>
          <button type="button" class="player-btn" aria-label="Next" title="Next" disabled={!track}
            onClick={() => player.next()}>
            <NextIcon />
          </button>
          <button type="button" class="player-btn player-toggle" aria-label="Repeat" aria-pressed={s.repeat !== 'off'}
            title={REPEAT_TITLES[s.repeat]} data-repeat={s.repeat} onClick={() => player.cycleRepeat()}>
            <RepeatIcon />
            {s.repeat === 'track' && <span class="player-badge" aria-hidden="true">1</span>}
          </button>
        </div>
        <div class="player-seek">
          <span class="player-time" aria-hidden="true">{formatTime(positionS * 1000)}</span>
          <input type="range" class="player-range" aria-label="Seek" min={0} max={durationS} step={1}
            value={positionS} disabled={!track || durationS === 0}
            aria-valuetext={`${formatTime(positionS * 1000)} of ${formatTime(durationS * 1000)}`}
            style={{ '--fill': durationS > 0 ? `${(positionS / durationS) * 100}%` : '0%' }}
            onInput={(e) => setDragSeconds(sliderValue(e))}
            onChange={(e) => {
              player.seek(sliderValue(e) * 1000);
              setDragSeconds(null);
            }}
            onBlur={() => setDragSeconds(null)} />
          <span class="player-time" aria-hidden="true">{formatTime(durationS * 1000)}</span>
        </div>
      </div>

      <div class="player-side">
        <a class="player-btn player-queue-link" href="/queue" aria-label="Queue" title="Queue"><QueueIcon /></a>
        <div class="player-volume">
          <span class="player-volume-icon"><VolumeIcon level={s.volume} /></span>
          <input type="range" class="player-range" aria-label="Volume" min={0} max={100} step={1} value={volume}
            aria-valuetext={`${volume}%`} style={{ '--fill': `${volume}%` }}
            onInput={(e) => player.setVolume(sliderValue(e) / 100)} />
        </div>
      </div>

      {s.error && (
        <div class="player-error" role="alert">
          <span>{s.error}</span>
          {s.status === 'error' && <button type="button" class="player-retry" onClick={() => player.retry()}>Retry</button>}
        </div>
      )}
    </section>
  );
}
