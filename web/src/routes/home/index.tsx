// Home: a list of sections, each loading on its own. Recommendation shelves are added here later.
import type { ComponentChildren, ComponentType } from 'preact';
import { getNewReleases, getRecentlyAdded } from '../../api/endpoints';
import { useTitle } from '../../app/useTitle';
import { Section } from '../../components/Section';
import { AlbumShelf } from './AlbumShelf';
import { greeting } from './recent';
import { RecentlyPlayed } from './RecentlyPlayed';

export interface HomeSection {
  id: string;
  title: string;
  /** A link or button next to the title, e.g. "Show all". */
  action?: ComponentChildren;
  Body: ComponentType;
}

const SHELF_SIZE = 12;

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

export default function Home() {
  useTitle('Home');
  return (
    <div class="page home">
      <h1>{greeting(new Date().getHours())}</h1>
      {HOME_SECTIONS.map(({ id, title, action, Body }) => (
        <Section key={id} title={title} action={action}>
          <Body />
        </Section>
      ))}
    </div>
  );
}
