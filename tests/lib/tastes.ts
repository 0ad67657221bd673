// Small catalogs for the recommendation tests: one short tagged file per track, written by
// `segue demo-library --catalog`, and the tracks read back through the API.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { api } from "./oauth.ts";
import { runSegue, tempDir } from "./server.ts";

/** [title, artist, album, genre, year] */
export type CatalogRow = [string, string, string, string, number];

/** Five artists of four tracks: two tastes of two artists (folk: Ash Harbor and Birch Lane;
 * electronic: Cobalt Drift and Delta Pulse) and one artist nobody plays (Ember Quartet, jazz). */
export const TWO_TASTES: CatalogRow[] = (
  [["Ash Harbor", "Folk"], ["Birch Lane", "Folk"], ["Cobalt Drift", "Electronic"], ["Delta Pulse", "Electronic"], ["Ember Quartet", "Jazz"]] as const
).flatMap(([artist, genre]) => [1, 2, 3, 4].map((i): CatalogRow => [`${artist} song ${i}`, artist, `${artist} album`, genre, 2020]));

/** Writes the rows as a library (a fresh directory) and returns its path. */
export function catalogLibrary(rows: CatalogRow[], prefix = "segue-catalog-lib-"): string {
  const dir = tempDir(prefix);
  const csv = path.join(dir, "catalog.csv");
  fs.writeFileSync(csv, ["title,artist,album,genre,year", ...rows.map((r) => r.join(","))].join("\n") + "\n");
  const lib = path.join(dir, "library");
  const made = runSegue(["demo-library", lib, "--catalog", csv], undefined, 180_000);
  assert.equal(made.status, 0, made.stderr);
  return lib;
}

export interface CatalogTrack {
  id: string;
  artist: string; // the first artist's id
  artistName: string;
  album: string;
  albumName: string;
}

/** Every track of the server's catalog (through new releases and album tracks), and the artists
 * sorted by name with their tracks in album order. */
export async function catalogTracks(base: string, token: string) {
  const tracks: CatalogTrack[] = [];
  const albums = await api(base, "/v1/browse/new-releases?limit=50", { token });
  assert.equal(albums.status, 200, albums.text);
  for (const a of albums.body.albums.items) {
    const t = await api(base, `/v1/albums/${a.id}/tracks?limit=50`, { token });
    for (const x of t.body.items)
      tracks.push({ id: x.id, artist: x.artists[0].id, artistName: x.artists[0].name, album: a.id, albumName: a.name });
  }
  const byArtist = new Map<string, string[]>();
  const nameOf = new Map<string, string>();
  for (const t of tracks) {
    byArtist.set(t.artist, [...(byArtist.get(t.artist) ?? []), t.id]);
    nameOf.set(t.artist, t.artistName);
  }
  const artists = [...byArtist.keys()].sort((x, y) => nameOf.get(x)!.localeCompare(nameOf.get(y)!));
  return { tracks, byArtist, artists };
}
