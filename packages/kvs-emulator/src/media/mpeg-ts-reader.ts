/**
 * Reading MPEG-TS segments (HLS `.ts` fragments): packet headers, the programme's elementary streams
 * from PAT/PMT, and the PTS/DTS of every PES header.
 */

import {
  NULL_PID,
  readTimestamp,
  STREAM_TYPE_ADTS_AAC,
  STREAM_TYPE_H264,
  STREAM_TYPE_H265,
  TS_PACKET_SIZE,
  TS_SYNC_BYTE,
} from './mpeg-ts-fields';

export interface TsPacketHeader {
  readonly offset: number;
  readonly pid: number;
  readonly payloadUnitStart: boolean;
  readonly hasPayload: boolean;
  readonly continuityCounter: number;
  /** Offset of the payload (after any adaptation field). */
  readonly payloadOffset: number;
  /** Offset of the 6-byte PCR field, when the adaptation field carries one. */
  readonly pcrOffset?: number;
}

export function readTsPackets(segment: Uint8Array): TsPacketHeader[] {
  if (segment.length % TS_PACKET_SIZE !== 0) {
    throw new Error(`MPEG-TS segment length ${segment.length} is not a multiple of 188`);
  }
  const packets: TsPacketHeader[] = [];
  for (let offset = 0; offset < segment.length; offset += TS_PACKET_SIZE) {
    if (segment[offset] !== TS_SYNC_BYTE) throw new Error(`No MPEG-TS sync byte at ${offset}`);
    const b1 = segment[offset + 1] ?? 0;
    const b3 = segment[offset + 3] ?? 0;
    const adaptationFieldControl = (b3 >> 4) & 0x3;
    let payloadOffset = offset + 4;
    let pcrOffset: number | undefined;
    if (adaptationFieldControl & 0x2) {
      const length = segment[offset + 4] ?? 0;
      const flags = length > 0 ? (segment[offset + 5] ?? 0) : 0;
      if (flags & 0x10) pcrOffset = offset + 6;
      payloadOffset = offset + 5 + length;
    }
    packets.push({
      offset,
      pid: ((b1 & 0x1f) << 8) | (segment[offset + 2] ?? 0),
      payloadUnitStart: (b1 & 0x40) !== 0,
      hasPayload: (adaptationFieldControl & 0x1) !== 0,
      continuityCounter: b3 & 0x0f,
      payloadOffset,
      ...(pcrOffset === undefined ? {} : { pcrOffset }),
    });
  }
  return packets;
}

export interface ElementaryStream {
  readonly pid: number;
  readonly streamType: number;
  readonly kind: 'video' | 'audio' | 'other';
}

/** Elementary streams announced by the first PAT/PMT of a segment. */
export function readProgramStreams(segment: Uint8Array): ElementaryStream[] {
  const packets = readTsPackets(segment);
  const section = (packet: TsPacketHeader): Uint8Array => {
    const pointer = segment[packet.payloadOffset] ?? 0;
    const start = packet.payloadOffset + 1 + pointer;
    return segment.subarray(start, packet.offset + TS_PACKET_SIZE);
  };
  const pat = packets.find((p) => p.pid === 0 && p.payloadUnitStart);
  if (!pat) throw new Error('MPEG-TS segment has no PAT');
  const patSection = section(pat);
  const pmtPid = (((patSection[10] ?? 0) & 0x1f) << 8) | (patSection[11] ?? 0);
  const pmt = packets.find((p) => p.pid === pmtPid && p.payloadUnitStart);
  if (!pmt) throw new Error('MPEG-TS segment has no PMT');
  const pmtSection = section(pmt);
  const sectionLength = (((pmtSection[1] ?? 0) & 0x0f) << 8) | (pmtSection[2] ?? 0);
  const programInfoLength = (((pmtSection[10] ?? 0) & 0x0f) << 8) | (pmtSection[11] ?? 0);
  const streams: ElementaryStream[] = [];
  // Stream loop runs to the CRC (4 bytes) at the end of the section.
  for (let i = 12 + programInfoLength; i < 3 + sectionLength - 4;) {
    const streamType = pmtSection[i] ?? 0;
    const pid = (((pmtSection[i + 1] ?? 0) & 0x1f) << 8) | (pmtSection[i + 2] ?? 0);
    const esInfoLength = (((pmtSection[i + 3] ?? 0) & 0x0f) << 8) | (pmtSection[i + 4] ?? 0);
    const kind =
      streamType === STREAM_TYPE_H264 || streamType === STREAM_TYPE_H265
        ? 'video'
        : streamType === STREAM_TYPE_ADTS_AAC
          ? 'audio'
          : 'other';
    streams.push({ pid, streamType, kind });
    i += 5 + esInfoLength;
  }
  return streams;
}

export interface PesTimestamps {
  readonly pid: number;
  readonly pts?: number;
  readonly dts?: number;
  /** Offset of the PES header in the segment. */
  readonly offset: number;
}

/** PTS/DTS of every PES header of a segment, in order. */
export function readPesTimestamps(segment: Uint8Array): PesTimestamps[] {
  const out: PesTimestamps[] = [];
  for (const packet of readTsPackets(segment)) {
    const header = pesHeaderAt(segment, packet);
    if (!header) continue;
    out.push({
      pid: packet.pid,
      offset: packet.payloadOffset,
      ...(header.ptsOffset === undefined ? {} : { pts: readTimestamp(segment, header.ptsOffset) }),
      ...(header.dtsOffset === undefined ? {} : { dts: readTimestamp(segment, header.dtsOffset) }),
    });
  }
  return out;
}

/**
 * Decode time (DTS, or PTS when equal) of the first video PES of a segment: the segment's start on
 * its own timeline, matching the `tfdt` of an fMP4 fragment.
 */
export function firstVideoDecodeTime(segment: Uint8Array): number {
  const video = readProgramStreams(segment).find((s) => s.kind === 'video');
  if (!video) throw new Error('MPEG-TS segment has no video stream');
  const first = readPesTimestamps(segment).find((t) => t.pid === video.pid && t.pts !== undefined);
  const time = first?.dts ?? first?.pts;
  if (time === undefined) throw new Error('MPEG-TS segment has no video timestamp');
  return time;
}

/** Packets with a payload per PID (what advances a continuity counter). */
export function payloadPacketCounts(segment: Uint8Array): Map<number, number> {
  const counts = new Map<number, number>();
  for (const packet of readTsPackets(segment)) {
    if (packet.pid === NULL_PID) continue;
    counts.set(packet.pid, (counts.get(packet.pid) ?? 0) + (packet.hasPayload ? 1 : 0));
  }
  return counts;
}

/** Where the PTS and DTS fields of the PES header starting in `packet` are, if one starts there. */
export function pesHeaderAt(
  segment: Uint8Array,
  packet: TsPacketHeader,
): { ptsOffset?: number; dtsOffset?: number } | undefined {
  if (!packet.payloadUnitStart || !packet.hasPayload || packet.pid === 0) return undefined;
  const p = packet.payloadOffset;
  if (segment[p] !== 0 || segment[p + 1] !== 0 || segment[p + 2] !== 1) return undefined;
  const streamId = segment[p + 3] ?? 0;
  // Streams without the optional PES header (padding, private_stream_2, ECM/EMM, DSM-CC...).
  if ([0xbc, 0xbe, 0xbf, 0xf0, 0xf1, 0xf2, 0xf8, 0xff].includes(streamId)) return undefined;
  const ptsDtsFlags = ((segment[p + 7] ?? 0) >> 6) & 0x3;
  if (p + 9 + (segment[p + 8] ?? 0) > packet.offset + TS_PACKET_SIZE) {
    throw new Error('PES header spans TS packets');
  }
  return {
    ...(ptsDtsFlags & 0x2 ? { ptsOffset: p + 9 } : {}),
    ...(ptsDtsFlags === 0x3 ? { dtsOffset: p + 14 } : {}),
  };
}
