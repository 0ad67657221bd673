// Home: the server's shelves (GET /v1/me/home: Made for you, Because you listened to X,
// Recommended for you, ...) in the order it served them, with one home_impression logged per page
// shown. When the feed fails or is empty, the local sections below (recently played, recently
// added, new releases) take its place.
import type { ComponentChildren, ComponentType } from 'preact';
import { useEffect, useMemo } from 'preact/hooks';
import { getNewReleases, getRecentlyAdded } from '../../api/endpoints';
import { getHome } from '../../api/home';
import { useTitle } from '../../app/useTitle';
import { Loading } from '../../components/LoadState';
import { Section } from '../../components/Section';
import { useAsync } from '../../components/useAsync';
import { usePlayer } from '../../player';
import { AlbumShelf } from './AlbumShelf';
import { impressionEvent, toShelves, type HomeShelf } from './feed';
import { greeting } from './recent';
import { RecentlyPlayed } from './RecentlyPlayed';
import { Shelf } from './Shelf';

export interface HomeSection {
  id: string;
  title: string;
  /** A link or button next to the title, e.g. "Show all". */
  action?: ComponentChildren;
  Body: ComponentType;
}

const SHELF_SIZE = 12;

/** The home page without the server's feed. */
export const HOME_SECTIONS: HomeSection[] = [
  { id: 'recently-played', title: 'Recently played', Body: RecentlyPlayed },
  {
    id: 'recently-added',
    title: 'Recently added',
    action: <a class="section-link" href="/albums">Show all</a>,
    Body: () => <AlbumShelf label="Recently added albums" load={(signal) => getRecentlyAdded(0, SHELF_SIZE, signal)} />,
  },
  {
    id: 'new-releases',
    title: 'New releases',
    Body: () => <AlbumShelf label="New releases" load={(signal) => getNewReleases(0, SHELF_SIZE, signal)} />,
  },
];

function Fallback() {
  return (
    <>
      {HOME_SECTIONS.map(({ id, title, action, Body }) => (
        <Section key={id} title={title} action={action}>
          <Body />
        </Section>
      ))}
    </>
  );
}

/** The feed's shelves; logs the page as one impression when it is shown. */
function Feed({ shelves, impressionId }: { shelves: HomeShelf[]; impressionId: string }) {
  const player = usePlayer();
  useEffect(() => {
    const event = impressionEvent(shelves);
    if (event) player.recordEvent(event);
    // One impression per page served (the server's impression_id), not per render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [impressionId, player]);
  return <>{shelves.map((shelf) => <Shelf key={shelf.id} shelf={shelf} />)}</>;
}

export default function Home() {
  useTitle('Home');
  const state = useAsync((signal) => getHome(signal), []);
  const home = state.status === 'ready' ? state.data : null;
  const shelves = useMemo(() => toShelves(home), [home]);
  let body: ComponentChildren;
  if (state.status === 'loading') body = <Loading />;
  else if (!home || shelves.length === 0) body = <Fallback />;
  else body = <Feed shelves={shelves} impressionId={home.impression_id} />;
  return (
    <div class="page home">
      <h1>{greeting(new Date().getHours())}</h1>
      {body}
    </div>
  );
}
