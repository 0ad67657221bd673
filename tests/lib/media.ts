// Small binary parsers for checking media the server returns: JPEG dimensions and Ogg Vorbis
// duration.
import * as fs from "node:fs";

/** Width and height from a JPEG's SOFn marker, or null if there is none. */
export function jpegSize(buf: Uint8Array): { width: number; height: number } | null {
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return null;
  let i = 2;
  while (i + 4 <= buf.length) {
    if (buf[i] !== 0xff) return null;
    const marker = buf[i + 1];
    if (marker === 0xff) {
      i += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2; // markers without a length
      continue;
    }
    const len = (buf[i + 2] << 8) | buf[i + 3];
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (i + 9 > buf.length) return null;
      const height = (buf[i + 5] << 8) | buf[i + 6];
      const width = (buf[i + 7] << 8) | buf[i + 8];
      return { width, height };
    }
    if (marker === 0xd9 || marker === 0xda) return null; // end of image / start of scan before SOF
    i += 2 + len;
  }
  return null;
}

/**
 * Duration of an Ogg Vorbis file in milliseconds: the granule position (PCM samples) of the
 * last page of the Vorbis stream divided by the sample rate from the identification header.
 */
export function oggVorbisDurationMs(file: string): number {
  const buf = fs.readFileSync(file);
  let sampleRate = 0;
  let serial: number | null = null;
  let lastGranule = -1n;
  let i = 0;
  while (i + 27 <= buf.length) {
    if (buf.toString("latin1", i, i + 4) !== "OggS") throw new Error(`${file}: lost Ogg page sync at ${i}`);
    const granule = buf.readBigInt64LE(i + 6);
    const pageSerial = buf.readUInt32LE(i + 14);
    const segments = buf[i + 26];
    let bodyLen = 0;
    for (let s = 0; s < segments; s++) bodyLen += buf[i + 27 + s];
    const body = i + 27 + segments;
    if (serial === null && buf[body] === 0x01 && buf.toString("latin1", body + 1, body + 7) === "vorbis") {
      serial = pageSerial;
      // Identification header: type(1) "vorbis"(6) version(4) channels(1) rate(4)
      sampleRate = buf.readUInt32LE(body + 12);
    }
    if (serial !== null && pageSerial === serial && granule >= 0n) lastGranule = granule;
    i = body + bodyLen;
  }
  if (!sampleRate || lastGranule < 0n) throw new Error(`${file}: not an Ogg Vorbis file`);
  return (Number(lastGranule) / sampleRate) * 1000;
}

/**
 * Vorbis comments (tags) of an Ogg Vorbis file, keys upper-cased: the second packet of the
 * Vorbis stream, reassembled from page segments.
 */
export function oggVorbisComments(file: string): Map<string, string[]> {
  const buf = fs.readFileSync(file);
  const packets: Buffer[] = [];
  let current: Buffer[] = [];
  let i = 0;
  while (i + 27 <= buf.length && packets.length < 2) {
    if (buf.toString("latin1", i, i + 4) !== "OggS") throw new Error(`${file}: lost Ogg page sync at ${i}`);
    const segments = buf[i + 26];
    let pos = i + 27 + segments;
    for (let s = 0; s < segments; s++) {
      const len = buf[i + 27 + s];
      current.push(buf.subarray(pos, pos + len));
      pos += len;
      if (len < 255) {
        packets.push(Buffer.concat(current));
        current = [];
      }
    }
    i = pos;
  }
  const p = packets[1];
  if (!p || p[0] !== 0x03 || p.toString("latin1", 1, 7) !== "vorbis") throw new Error(`${file}: no Vorbis comment header`);
  let o = 7;
  const vendorLen = p.readUInt32LE(o);
  o += 4 + vendorLen;
  const count = p.readUInt32LE(o);
  o += 4;
  const out = new Map<string, string[]>();
  for (let c = 0; c < count; c++) {
    const len = p.readUInt32LE(o);
    o += 4;
    const text = p.toString("utf8", o, o + len);
    o += len;
    const eq = text.indexOf("=");
    if (eq <= 0) continue;
    const key = text.slice(0, eq).toUpperCase();
    out.set(key, [...(out.get(key) ?? []), text.slice(eq + 1)]);
  }
  return out;
}
