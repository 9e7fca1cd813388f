import { createFile, MP4BoxBuffer, type ISOFile } from 'mp4box';

/** Parses MP4 bytes (an init segment followed by fragments, or a whole file) with mp4box. */
export function parseMp4(...parts: Uint8Array[]): { file: ISOFile; errors: string[] } {
  const file = createFile();
  const errors: string[] = [];
  file.onError = (module, message) => errors.push(`${module}: ${message}`);
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  file.appendBuffer(MP4BoxBuffer.fromArrayBuffer(bytes.buffer, 0), true);
  file.flush();
  return { file, errors };
}

export function topLevelBoxTypes(bytes: Uint8Array): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const types: string[] = [];
  for (let offset = 0; offset + 8 <= bytes.length;) {
    const size = view.getUint32(offset);
    types.push(String.fromCharCode(...bytes.subarray(offset + 4, offset + 8)));
    if (size < 8) throw new Error('box size below 8');
    offset += size;
  }
  return types;
}

/** PTS (90 kHz) of the first PES header with a PTS in an MPEG-TS segment. */
export function firstPts(ts: Uint8Array): number {
  for (let offset = 0; offset + 188 <= ts.length; offset += 188) {
    const payloadStart = (ts[offset + 1]! & 0x40) !== 0;
    if (!payloadStart) continue;
    const adaptation = (ts[offset + 3]! >> 4) & 0x3;
    let payload = offset + 4;
    if (adaptation === 2 || adaptation === 3) payload += 1 + ts[offset + 4]!;
    if (ts[payload] !== 0 || ts[payload + 1] !== 0 || ts[payload + 2] !== 1) continue;
    const flags = ts[payload + 7]!;
    if ((flags & 0x80) === 0) continue;
    const p = payload + 9;
    return (
      ((ts[p]! >> 1) & 0x07) * 2 ** 30 +
      ((ts[p + 1]! << 7) | (ts[p + 2]! >> 1)) * 2 ** 15 +
      ((ts[p + 3]! << 7) | (ts[p + 4]! >> 1))
    );
  }
  throw new Error('no PES packet with a PTS');
}
