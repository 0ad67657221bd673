// What the demo library (`segue demo-library DIR`) holds, as src/catalog/demo_library.cc writes it.
export interface DemoTrack {
  title: string;
  artists: string[];
  disc: number;
  number: number;
  ext: string;
}
export interface DemoAlbum {
  name: string;
  albumArtist: string;
  releaseDate: string;
  discs: number;
  compilation: boolean;
  tracks: DemoTrack[];
}

const marlow = "Marlow Vance";
const lanterns = "The Copper Lanterns";
const nadia = "Nadia Oré";

export const DEMO_ALBUMS: DemoAlbum[] = [
  {
    name: "Harbor Lights", albumArtist: marlow, releaseDate: "2019-09-06", discs: 1, compilation: false,
    tracks: [
      { title: "Low Tide Letters", artists: [marlow], disc: 1, number: 1, ext: "ogg" },
      { title: "Lanterns on the Pier", artists: [marlow], disc: 1, number: 2, ext: "ogg" },
      { title: "The Ferryman's Waltz", artists: [marlow], disc: 1, number: 3, ext: "ogg" },
    ],
  },
  {
    name: "Night Cartography", albumArtist: lanterns, releaseDate: "2021-05-14", discs: 2, compilation: false,
    tracks: [
      { title: "Compass Rose", artists: [lanterns], disc: 1, number: 1, ext: "mp3" },
      { title: "Streetlamp Semaphore", artists: [lanterns], disc: 1, number: 2, ext: "mp3" },
      { title: "Northbound Static", artists: [lanterns], disc: 2, number: 1, ext: "mp3" },
      { title: "Paper Satellites", artists: [lanterns], disc: 2, number: 2, ext: "flac" },
    ],
  },
  {
    name: "Glass Orchard", albumArtist: nadia, releaseDate: "2023", discs: 1, compilation: false,
    tracks: [
      { title: "Prism Bloom", artists: [nadia], disc: 1, number: 1, ext: "flac" },
      { title: "Quiet Voltage", artists: [nadia], disc: 1, number: 2, ext: "m4a" },
      { title: "Orchard at 3 AM", artists: [nadia], disc: 1, number: 3, ext: "flac" },
    ],
  },
  {
    name: "Side Streets: A Collection", albumArtist: "Various Artists", releaseDate: "2024-03", discs: 1, compilation: true,
    tracks: [
      { title: "Corner Café Serenade", artists: [marlow], disc: 1, number: 1, ext: "opus" },
      { title: "Tram Lines", artists: [nadia], disc: 1, number: 2, ext: "wav" },
      { title: "Evening Exchange", artists: [marlow, nadia], disc: 1, number: 3, ext: "ogg" },
    ],
  },
];

export const DEMO_TRACK_COUNT = DEMO_ALBUMS.reduce((n, a) => n + a.tracks.length, 0);
export const DEMO_ARTISTS = [marlow, lanterns, nadia];

export function demoAlbum(name: string): DemoAlbum {
  const a = DEMO_ALBUMS.find((x) => x.name === name);
  if (!a) throw new Error(`no demo album ${name}`);
  return a;
}
