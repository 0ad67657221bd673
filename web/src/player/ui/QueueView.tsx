// The queue page body: now playing, "Next in queue" (added with "Add to queue") and
// "Next from: <context>". Rows play when clicked; they reorder with Move up / Move down buttons
// (keyboard) or by drag and drop, and go away with Remove.
import { useEffect, useRef, useState } from 'preact/hooks';
import { usePlayer, usePlayerState } from '../context';
import { artistNames, coverUrl, formatTime } from '../format';
import '../player.css';
import type { PlayerTrack } from '../types';

interface PendingFocus { key: string; action: 'up' | 'down' }

function TrackInfo({ track }: { track: PlayerTrack }) {
  const cover = coverUrl(track, 40);
  return (
    <>
      {cover ? <img class="queue-cover" src={cover} alt="" width={40} height={40} loading="lazy" /> : <span class="queue-cover" aria-hidden="true" />}
      <span class="queue-text">
        <span class="queue-name">{track.name}</span>
        <span class="queue-artists">{artistNames(track)}</span>
      </span>
    </>
  );
}

export function QueueView() {
  const player = usePlayer();
  const s = usePlayerState();
  const { current, upNext, queued, keys, contextName } = s.queue;
  const listRef = useRef<HTMLDivElement>(null);
  const pendingFocus = useRef<PendingFocus | null>(null);
  const [dragFrom, setDragFrom] = useState<number | null>(null);
  const [dropAt, setDropAt] = useState<number | null>(null);

  // Keep the focus on the moved row's button after a move (the row changed place in the DOM).
  useEffect(() => {
    const want = pendingFocus.current;
    const root = listRef.current;
    if (!want || !root) return;
    pendingFocus.current = null;
    const row = root.querySelector<HTMLElement>(`[data-key="${want.key}"]`);
    if (!row) return;
    const preferred = row.querySelector<HTMLButtonElement>(`button[data-action="${want.action}"]`);
    const other = row.querySelector<HTMLButtonElement>(`button[data-action="${want.action === 'up' ? 'down' : 'up'}"]`);
    const target = preferred && !preferred.disabled ? preferred : other && !other.disabled ? other : row.querySelector<HTMLButtonElement>('button');
    target?.focus();
  }, [s.queue]);

  const move = (from: number, to: number, action: 'up' | 'down') => {
    pendingFocus.current = { key: keys[from], action };
    player.moveInQueue(from, to);
  };

  const remove = (index: number) => {
    // Focus goes to the row that takes its place (or the one before), not back to the page top.
    const nextKey = keys[index + 1] ?? keys[index - 1];
    if (nextKey) pendingFocus.current = { key: nextKey, action: 'up' };
    player.removeFromQueue(index);
  };

  const endDrag = () => {
    setDragFrom(null);
    setDropAt(null);
  };

  const row = (track: PlayerTrack, index: number) => {
    const key = keys[index];
    const last = upNext.length - 1;
    // A queued track always plays before the context: it cannot move down past the queue.
    const canMoveDown = index < last && index !== queued - 1;
    const classes = ['queue-row', dragFrom === index ? 'is-dragging' : '', dropAt === index && dragFrom !== index ? 'is-drop-target' : '']
      .filter(Boolean).join(' ');
    return (
      <li key={key} data-key={key} class={classes} draggable
        onDragStart={(e) => {
          setDragFrom(index);
          if (e.dataTransfer) {
            e.dataTransfer.effectAllowed = 'move';
            e.dataTransfer.setData('text/plain', String(index));
          }
        }}
        onDragOver={(e) => {
          if (dragFrom === null) return;
          e.preventDefault();
          if (e.dataTransfer) e.dataTransfer.dropEffect = 'move';
          if (dropAt !== index) setDropAt(index);
        }}
        onDrop={(e) => {
          e.preventDefault();
          if (dragFrom !== null && dragFrom !== index) player.moveInQueue(dragFrom, index);
          endDrag();
        }}
        onDragEnd={endDrag}>
        <button type="button" class="queue-play" aria-label={`Play ${track.name}`} onClick={() => player.playFromQueue(index)}>
          <TrackInfo track={track} />
        </button>
        <span class="queue-duration">{formatTime(track.duration_ms)}</span>
        <span class="queue-actions">
          <button type="button" class="queue-action" data-action="up" aria-label={`Move up ${track.name}`} title="Move up"
            disabled={index === 0} onClick={() => move(index, index - 1, 'up')}>↑</button>
          <button type="button" class="queue-action" data-action="down" aria-label={`Move down ${track.name}`} title="Move down"
            disabled={!canMoveDown} onClick={() => move(index, index + 1, 'down')}>↓</button>
          <button type="button" class="queue-action" data-action="remove" aria-label={`Remove ${track.name}`} title="Remove"
            onClick={() => remove(index)}>✕</button>
        </span>
      </li>
    );
  };

  const userPart = upNext.slice(0, queued);
  const contextPart = upNext.slice(queued);

  return (
    <div class="queue-view" ref={listRef}>
      <h1>Queue</h1>
      {!current && upNext.length === 0 ? (
        <p class="queue-empty">Nothing is playing. Play an album or a track and it shows up here.</p>
      ) : null}
      {current && (
        <section aria-labelledby="queue-now-heading">
          <h2 id="queue-now-heading">Now playing</h2>
          <div class="queue-row queue-current" aria-current="true">
            <span class="queue-play">
              <TrackInfo track={current} />
            </span>
            <span class="queue-duration">{formatTime(current.duration_ms)}</span>
          </div>
        </section>
      )}
      {userPart.length > 0 && (
        <section aria-labelledby="queue-user-heading">
          <h2 id="queue-user-heading">Next in queue</h2>
          <ol class="queue-list">{userPart.map((t, i) => row(t, i))}</ol>
        </section>
      )}
      {contextPart.length > 0 && (
        <section aria-labelledby="queue-context-heading">
          <h2 id="queue-context-heading">{contextName ? `Next from: ${contextName}` : 'Next up'}</h2>
          <ol class="queue-list">{contextPart.map((t, i) => row(t, i + queued))}</ol>
        </section>
      )}
    </div>
  );
}
