import { createFile, MP4BoxBuffer, type ISOFile, type Movie } from 'mp4box';

/** Parses MP4 bytes with mp4box (an independent parser) and returns the file and its info. */
export function parseMp4(bytes: Uint8Array): { file: ISOFile; info: Movie; errors: string[] } {
  const file = createFile();
  const errors: string[] = [];
  file.onError = (module, message) => errors.push(`${module}: ${message}`);
  const copy = bytes.slice();
  file.appendBuffer(MP4BoxBuffer.fromArrayBuffer(copy.buffer, 0), true);
  file.flush();
  return { file, info: file.getInfo(), errors };
}

export function topLevelTypes(bytes: Uint8Array): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const types: string[] = [];
  for (let at = 0; at + 8 <= bytes.length; at += view.getUint32(at)) {
    types.push(String.fromCharCode(...bytes.subarray(at + 4, at + 8)));
    if (view.getUint32(at) < 8) throw new Error('bad box size');
  }
  return types;
}

/** Every TS packet is 188 bytes with a sync byte, and each PID's continuity counter steps by one. */
export function checkTsPackets(segments: readonly Uint8Array[]): { packets: number; ccErrors: number } {
  const last = new Map<number, number>();
  let packets = 0;
  let ccErrors = 0;
  for (const segment of segments) {
    if (segment.length % 188 !== 0) throw new Error(`length ${segment.length} not a multiple of 188`);
    for (let at = 0; at < segment.length; at += 188) {
      if (segment[at] !== 0x47) throw new Error(`no sync byte at ${at}`);
      const pid = ((segment[at + 1]! & 0x1f) << 8) | segment[at + 2]!;
      const hasPayload = (segment[at + 3]! & 0x10) !== 0;
      const cc = segment[at + 3]! & 0x0f;
      const previous = last.get(pid);
      if (pid !== 0x1fff && previous !== undefined) {
        const expected = hasPayload ? (previous + 1) & 0x0f : previous;
        if (cc !== expected) ccErrors += 1;
      }
      last.set(pid, cc);
      packets += 1;
    }
  }
  return { packets, ccErrors };
}

/** tfdt of the first moof and the sum of the sample durations of a single-track fragment. */
export function fragmentTiming(init: Uint8Array, fragment: Uint8Array): { tfdt: number; ticks: number } {
  const { file, errors } = parseMp4(Uint8Array.from(Buffer.concat([init, fragment])));
  if (errors.length > 0) throw new Error(errors.join('; '));
  const trackId = file.moov.traks[0]!.tkhd.track_id;
  const ticks = file.getTrackSamplesInfo(trackId).reduce((sum, sample) => sum + sample.duration, 0);
  return { tfdt: Number(file.moofs[0]!.trafs[0]!.tfdt.baseMediaDecodeTime), ticks };
}

/** PTS/DTS (unwrapped) of every PES of each PID over consecutive segments, in order. */
export function decodeTimesByPid(
  segments: readonly Uint8Array[],
  readPes: (segment: Uint8Array) => readonly { pid: number; pts?: number; dts?: number }[],
): Map<number, { pts: number; dts: number }[]> {
  const byPid = new Map<number, { pts: number; dts: number }[]>();
  for (const segment of segments) {
    for (const pes of readPes(segment)) {
      if (pes.pts === undefined) continue;
      const list = byPid.get(pes.pid) ?? [];
      list.push({ pts: pes.pts, dts: pes.dts ?? pes.pts });
      byPid.set(pes.pid, list);
    }
  }
  return byPid;
}
