/**
 * The bit layouts of MPEG-2 transport streams (ISO/IEC 13818-1) that both the reader and the writers
 * of `.ts` segments need: packet framing, 33-bit PTS/DTS and PCR fields, stream types, section CRCs.
 */

export const TS_PACKET_SIZE = 188;
export const TS_SYNC_BYTE = 0x47;
/** PTS/DTS/PCR base wrap around at 2^33 ticks of the 90 kHz clock. */
export const TIMESTAMP_MODULUS = 2 ** 33;

export const STREAM_TYPE_H264 = 0x1b;
export const STREAM_TYPE_H265 = 0x24;
export const STREAM_TYPE_ADTS_AAC = 0x0f;

/** A PID that carries only stuffing: its continuity counter means nothing. */
export const NULL_PID = 0x1fff;

/** A tick count brought into [0, 2^33). */
export function wrapTimestamp(ticks: number): number {
  return ((ticks % TIMESTAMP_MODULUS) + TIMESTAMP_MODULUS) % TIMESTAMP_MODULUS;
}

export function readTimestamp(bytes: Uint8Array, at: number): number {
  const b = (i: number): number => bytes[at + i] ?? 0;
  return ((b(0) >> 1) & 0x07) * 2 ** 30 + ((b(1) << 7) | (b(2) >> 1)) * 2 ** 15 + ((b(3) << 7) | (b(4) >> 1));
}

export function writeTimestamp(bytes: Uint8Array, at: number, prefix: number, ticks: number): void {
  const high = Math.floor(ticks / 2 ** 30) & 0x07;
  const middle = Math.floor(ticks / 2 ** 15) & 0x7fff;
  const low = ticks & 0x7fff;
  bytes[at] = ((prefix & 0x0f) << 4) | (high << 1) | 0x01;
  bytes[at + 1] = middle >> 7;
  bytes[at + 2] = ((middle & 0x7f) << 1) | 0x01;
  bytes[at + 3] = low >> 7;
  bytes[at + 4] = ((low & 0x7f) << 1) | 0x01;
}

export function readPcr(segment: Uint8Array, pcrOffset: number): { base: number; extension: number } {
  const b = (i: number): number => segment[pcrOffset + i] ?? 0;
  const base = b(0) * 2 ** 25 + b(1) * 2 ** 17 + b(2) * 2 ** 9 + b(3) * 2 + (b(4) >> 7);
  return { base, extension: ((b(4) & 0x1) << 8) | b(5) };
}

export function writePcr(bytes: Uint8Array, at: number, base: number, extension: number): void {
  bytes[at] = Math.floor(base / 2 ** 25) & 0xff;
  bytes[at + 1] = Math.floor(base / 2 ** 17) & 0xff;
  bytes[at + 2] = Math.floor(base / 2 ** 9) & 0xff;
  bytes[at + 3] = Math.floor(base / 2) & 0xff;
  bytes[at + 4] = ((base & 0x1) << 7) | 0x7e | ((extension >> 8) & 0x1);
  bytes[at + 5] = extension & 0xff;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i += 1) {
    let crc = i << 24;
    for (let bit = 0; bit < 8; bit += 1) {
      crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
    }
    table[i] = crc >>> 0;
  }
  return table;
})();

function crc32Mpeg2(bytes: ArrayLike<number>): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i += 1) {
    crc = ((crc << 8) ^ (CRC_TABLE[((crc >>> 24) ^ (bytes[i] ?? 0)) & 0xff] ?? 0)) >>> 0;
  }
  return crc >>> 0;
}

/** A PSI section (table id through the last body byte) followed by its CRC-32. */
export function sectionWithCrc(section: number[]): Uint8Array {
  const crc = crc32Mpeg2(section);
  return Uint8Array.from([
    ...section,
    (crc >>> 24) & 0xff,
    (crc >>> 16) & 0xff,
    (crc >>> 8) & 0xff,
    crc & 0xff,
  ]);
}
