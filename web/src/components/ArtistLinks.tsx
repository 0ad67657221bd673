import { Fragment } from 'preact';

/** "A, B" with each name linking to its artist page. */
export function ArtistLinks({ artists }: { artists: readonly { id: string; name: string }[] }) {
  return (
    <>
      {artists.map((artist, i) => (
        <Fragment key={artist.id || i}>
          {i > 0 && ', '}
          {artist.id ? <a href={`/artist/${encodeURIComponent(artist.id)}`}>{artist.name}</a> : artist.name}
        </Fragment>
      ))}
    </>
  );
}
