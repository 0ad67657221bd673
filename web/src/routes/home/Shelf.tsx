// One shelf of the home feed: a titled, horizontally scrolling list of cards. A track card plays
// the shelf's tracks from it; an album, playlist or artist card opens its page, and album and
// playlist cards have a Play button for the whole context. Every open or play is a home_click,
// and the plays it starts carry the shelf as their source ("home:<section id>", the bandit's
// play rewards): directly, or through the page opened (player/homeSource.ts).
import { toPlayerTrack } from '../../api/convert';
import { describeError } from '../../api/errors';
import { homeSectionHref } from '../../api/homeSection';
import { getPlaylist, loadAllItems } from '../../api/playlists';
import { Cover } from '../../components/Cover';
import { PlayIcon } from '../../components/Icons';
import { showNotice } from '../../components/notices';
import { Section } from '../../components/Section';
import { usePlayer, useRadio } from '../../player';
import { RadioIcon } from '../../components/Icons';
import { homeSource, openedFromHome } from '../../player/homeSource';
import type { Player, PlayerTrack } from '../../player/types';
import { loadFullAlbum } from '../album/load';
import { clickEvent, shelfTracks, type HomeCard, type HomeShelf } from './feed';

const COVER = 180;

function report(player: Player, shelf: HomeShelf, card: HomeCard): void {
  const event = clickEvent(shelf, card);
  if (event) player.recordEvent(event);
  // The page a card opens (a radio card: the station it starts): what that plays within the
  // window was started from this shelf.
  if (card.kind === 'radio') openedFromHome(card.id, shelf.id);
  else if (card.kind !== 'track') openedFromHome(card.uri, shelf.id);
}

/** The tracks of an album or playlist card's context, loaded now. */
async function contextTracks(card: HomeCard): Promise<PlayerTrack[]> {
  if (card.kind === 'album') {
    const album = await loadFullAlbum(card.id, new AbortController().signal);
    return album.tracks.items.map((t) => toPlayerTrack(t, album));
  }
  const playlist = await getPlaylist(card.id);
  const items = await loadAllItems(card.id, undefined, playlist.tracks);
  return items.flatMap((i) => (i.track ? [toPlayerTrack(i.track)] : []));
}

/** `whole`: the section's own page (cards wrap, no "Show all"). */
export function Shelf({ shelf, whole = false }: { shelf: HomeShelf; whole?: boolean }) {
  const player = usePlayer();
  const radio = useRadio();
  const tracks = shelfTracks(shelf);

  const playTrack = (card: HomeCard) => {
    report(player, shelf, card);
    const list: PlayerTrack[] = tracks.flatMap((c) => (c.item.type === 'track' ? [toPlayerTrack(c.item.track)] : []));
    player.playTracks(list, Math.max(0, tracks.indexOf(card)), undefined, shelf.title, homeSource(shelf.id) ?? undefined);
  };

  const playContext = async (card: HomeCard) => {
    report(player, shelf, card);
    try {
      const list = await contextTracks(card);
      if (list.length === 0) {
        showNotice(`${card.name} has no tracks to play.`);
        return;
      }
      player.playTracks(list, 0, card.uri, card.name, homeSource(shelf.id) ?? undefined);
    } catch (error) {
      showNotice(`Could not play ${card.name}: ${describeError(error)}`);
    }
  };

  // A radio played lately: the same station again, from its seed.
  const playRadio = async (card: HomeCard) => {
    if (!radio || card.item.type !== 'radio') return;
    report(player, shelf, card);
    try {
      await radio.start(card.item.radio.seed.uri, card.item.radio.name);
    } catch (error) {
      showNotice(`Could not start ${card.name}: ${describeError(error)}`);
    }
  };

  return (
    <Section title={shelf.title} class="home-section"
      action={whole ? undefined : <a class="section-link" href={homeSectionHref(shelf.id)} aria-label={`Show all: ${shelf.title}`}>Show all</a>}>
      <ul class={`home-shelf ${whole ? 'home-shelf-whole' : ''}`} aria-label={shelf.title} data-section={shelf.id}>
        {shelf.cards.map((card) => (
          <li key={card.uri} class={`card home-card home-card-${card.kind}`} data-uri={card.uri}>
            {card.kind === 'radio' ? (
              <button type="button" class="home-card-button" disabled={!radio} onClick={() => void playRadio(card)}>
                <Cover images={card.images} size={COVER} alt="" class="card-cover" />
                <span class="card-title"><span class="visually-hidden">Play </span>{card.name}</span>
                <span class="card-sub"><RadioIcon size={14} /> {card.subtitle}</span>
              </button>
            ) : card.kind === 'track' ? (
              // The name is the visible text with "Play " before it (WCAG 2.5.3: no aria-label
              // that differs from what sighted users read).
              <button type="button" class="home-card-button" onClick={() => playTrack(card)}>
                <Cover images={card.images} size={COVER} alt="" class="card-cover" />
                <span class="card-title"><span class="visually-hidden">Play </span>{card.name}</span>
                <span class="card-sub">{card.subtitle}</span>
              </button>
            ) : (
              <>
                <a class="card-link" href={card.href ?? '#'} onClick={() => report(player, shelf, card)}>
                  <Cover images={card.images} size={COVER} alt="" class={`card-cover ${card.kind === 'artist' ? 'home-round' : ''}`} />
                  <span class="card-title">{card.name}</span>
                </a>
                <span class="card-sub">{card.subtitle}</span>
                {(card.kind === 'album' || card.kind === 'playlist') && (
                  <div class="home-card-overlay">
                    <button type="button" class="home-card-play" aria-label={`Play ${card.name}`} onClick={() => void playContext(card)}>
                      <PlayIcon size={24} />
                    </button>
                  </div>
                )}
              </>
            )}
          </li>
        ))}
      </ul>
    </Section>
  );
}
