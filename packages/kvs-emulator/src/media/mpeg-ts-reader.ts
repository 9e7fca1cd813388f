/**
 * MPEG-2 transport stream helpers for HLS `.ts` fragments: shift every timestamp of a segment
 * (PES PTS/DTS and adaptation-field PCR) by a constant so the segment sits anywhere on a timeline,
 * and a small muxer turning H.264 + AAC samples into such a segment.
 */

export const TS_PACKET_SIZE = 188;
export const TS_SYNC_BYTE = 0x47;
/** PTS/DTS/PCR base wrap around at 2^33 ticks of the 90 kHz clock. */
export const TIMESTAMP_MODULUS = 2 ** 33;

const STREAM_TYPE_H264 = 0x1b;
const STREAM_TYPE_H265 = 0x24;
const STREAM_TYPE_ADTS_AAC = 0x0f;

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

export function readPcr(segment: Uint8Array, pcrOffset: number): { base: number; extension: number } {
  const b = (i: number): number => segment[pcrOffset + i] ?? 0;
  const base = b(0) * 2 ** 25 + b(1) * 2 ** 17 + b(2) * 2 ** 9 + b(3) * 2 + (b(4) >> 7);
  return { base, extension: ((b(4) & 0x1) << 8) | b(5) };
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

/**
 * A copy of a segment with every PTS, DTS and PCR base moved by `offset` ticks (90 kHz), modulo
 * 2^33. Packets, payloads and continuity counters are untouched.
 */
export function shiftTsTimestamps(segment: Uint8Array, offset: number): Uint8Array {
  const out = segment.slice();
  for (const packet of readTsPackets(out)) {
    if (packet.pcrOffset !== undefined) {
      const pcr = readPcr(out, packet.pcrOffset);
      writePcr(out, packet.pcrOffset, wrap(pcr.base + offset), pcr.extension);
    }
    const header = pesHeaderAt(out, packet);
    if (!header) continue;
    for (const at of [header.ptsOffset, header.dtsOffset]) {
      if (at === undefined) continue;
      writeTimestamp(out, at, (out[at] ?? 0) >> 4, wrap(readTimestamp(out, at) + offset));
    }
  }
  return out;
}

/** A PID that carries only stuffing: its continuity counter means nothing. */
const NULL_PID = 0x1fff;

/** Packets with a payload per PID (what advances a continuity counter). */
export function payloadPacketCounts(segment: Uint8Array): Map<number, number> {
  const counts = new Map<number, number>();
  for (const packet of readTsPackets(segment)) {
    if (packet.pid === NULL_PID) continue;
    counts.set(packet.pid, (counts.get(packet.pid) ?? 0) + (packet.hasPayload ? 1 : 0));
  }
  return counts;
}

/**
 * Renumbers the continuity counters of a segment in place: each PID's payload packets count up from
 * `first.get(pid)` (mod 16); a packet without payload repeats the counter of the one before it, as
 * ISO/IEC 13818-1 asks.
 */
export function setContinuityCounters(segment: Uint8Array, first: ReadonlyMap<number, number>): void {
  const next = new Map(first);
  for (const packet of readTsPackets(segment)) {
    if (packet.pid === NULL_PID) continue;
    const counter = next.get(packet.pid) ?? 0;
    const value = packet.hasPayload ? counter : (counter + 15) & 0x0f;
    if (packet.hasPayload) next.set(packet.pid, (counter + 1) & 0x0f);
    const at = packet.offset + 3;
    segment[at] = ((segment[at] ?? 0) & 0xf0) | value;
  }
}

function wrap(ticks: number): number {
  return ((ticks % TIMESTAMP_MODULUS) + TIMESTAMP_MODULUS) % TIMESTAMP_MODULUS;
}

function pesHeaderAt(
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

function readTimestamp(bytes: Uint8Array, at: number): number {
  const b = (i: number): number => bytes[at + i] ?? 0;
  return ((b(0) >> 1) & 0x07) * 2 ** 30 + ((b(1) << 7) | (b(2) >> 1)) * 2 ** 15 + ((b(3) << 7) | (b(4) >> 1));
}

function writeTimestamp(bytes: Uint8Array, at: number, prefix: number, ticks: number): void {
  const high = Math.floor(ticks / 2 ** 30) & 0x07;
  const middle = Math.floor(ticks / 2 ** 15) & 0x7fff;
  const low = ticks & 0x7fff;
  bytes[at] = ((prefix & 0x0f) << 4) | (high << 1) | 0x01;
  bytes[at + 1] = middle >> 7;
  bytes[at + 2] = ((middle & 0x7f) << 1) | 0x01;
  bytes[at + 3] = low >> 7;
  bytes[at + 4] = ((low & 0x7f) << 1) | 0x01;
}

function writePcr(bytes: Uint8Array, at: number, base: number, extension: number): void {
  bytes[at] = Math.floor(base / 2 ** 25) & 0xff;
  bytes[at + 1] = Math.floor(base / 2 ** 17) & 0xff;
  bytes[at + 2] = Math.floor(base / 2 ** 9) & 0xff;
  bytes[at + 3] = Math.floor(base / 2) & 0xff;
  bytes[at + 4] = ((base & 0x1) << 7) | 0x7e | ((extension >> 8) & 0x1);
  bytes[at + 5] = extension & 0xff;
}

// ---------------------------------------------------------------------------------------------
// Muxer

const PAT_PID = 0x0000;
const PMT_PID = 0x1000;
const VIDEO_PID = 0x0100;
const AUDIO_PID = 0x0101;

export interface TsVideoSample {
  /** Annex B access unit (start codes, with AUD and, on keyframes, parameter sets). */
  readonly data: Uint8Array;
  /** 90 kHz ticks. */
  readonly pts: number;
  readonly dts: number;
  readonly keyframe: boolean;
}

export interface TsAudioSample {
  /** One ADTS frame. */
  readonly data: Uint8Array;
  readonly pts: number;
}

/**
 * Muxes one fragment's samples into MPEG-TS. Continuity counters live in `counters` (per PID) and
 * carry on from call to call, so consecutive segments of a clip continue each other.
 */
export function muxTsSegment(
  video: readonly TsVideoSample[],
  audio: readonly TsAudioSample[],
  counters: Map<number, number>,
): Uint8Array {
  const packets: Uint8Array[] = [];
  const hasAudio = audio.length > 0;
  packets.push(psiPacket(PAT_PID, patSection(), counters));
  packets.push(psiPacket(PMT_PID, pmtSection(hasAudio), counters));

  type Unit = { dts: number; pid: number; pes: Uint8Array; pcr?: number };
  const units: Unit[] = [
    ...video.map((s) => ({
      dts: s.dts,
      pid: VIDEO_PID,
      pes: pesPacket(0xe0, s.data, s.pts, s.dts),
      pcr: s.dts,
    })),
    ...audio.map((s) => ({ dts: s.pts, pid: AUDIO_PID, pes: pesPacket(0xc0, s.data, s.pts) })),
  ];
  units.sort((a, b) => a.dts - b.dts || a.pid - b.pid);
  for (const unit of units) packets.push(...packetize(unit.pid, unit.pes, counters, unit.pcr));
  const out = new Uint8Array(packets.length * TS_PACKET_SIZE);
  packets.forEach((packet, i) => out.set(packet, i * TS_PACKET_SIZE));
  return out;
}

function nextCounter(counters: Map<number, number>, pid: number): number {
  const value = counters.get(pid) ?? 0;
  counters.set(pid, (value + 1) & 0x0f);
  return value;
}

function psiPacket(pid: number, section: Uint8Array, counters: Map<number, number>): Uint8Array {
  const packet = new Uint8Array(TS_PACKET_SIZE).fill(0xff);
  packet[0] = TS_SYNC_BYTE;
  packet[1] = 0x40 | ((pid >> 8) & 0x1f);
  packet[2] = pid & 0xff;
  packet[3] = 0x10 | nextCounter(counters, pid);
  packet[4] = 0;
  packet.set(section, 5);
  return packet;
}

function withCrc(section: number[]): Uint8Array {
  const crc = crc32Mpeg2(section);
  return Uint8Array.from([
    ...section,
    (crc >>> 24) & 0xff,
    (crc >>> 16) & 0xff,
    (crc >>> 8) & 0xff,
    crc & 0xff,
  ]);
}

function patSection(): Uint8Array {
  const body = [0x00, 0x01, 0xc1, 0x00, 0x00, 0x00, 0x01, 0xe0 | (PMT_PID >> 8), PMT_PID & 0xff];
  const length = body.length + 4;
  return withCrc([0x00, 0xb0 | (length >> 8), length & 0xff, ...body]);
}

function pmtSection(hasAudio: boolean): Uint8Array {
  const stream = (type: number, pid: number): number[] => [type, 0xe0 | (pid >> 8), pid & 0xff, 0xf0, 0x00];
  const body = [
    0x00,
    0x01,
    0xc1,
    0x00,
    0x00,
    0xe0 | (VIDEO_PID >> 8),
    VIDEO_PID & 0xff,
    0xf0,
    0x00,
    ...stream(STREAM_TYPE_H264, VIDEO_PID),
    ...(hasAudio ? stream(STREAM_TYPE_ADTS_AAC, AUDIO_PID) : []),
  ];
  const length = body.length + 4;
  return withCrc([0x02, 0xb0 | (length >> 8), length & 0xff, ...body]);
}

function pesPacket(streamId: number, data: Uint8Array, pts: number, dts?: number): Uint8Array {
  const withDts = dts !== undefined && dts !== pts;
  const headerDataLength = withDts ? 10 : 5;
  const header = new Uint8Array(9 + headerDataLength);
  header.set([0x00, 0x00, 0x01, streamId]);
  const packetLength = 3 + headerDataLength + data.length;
  // Video PES may exceed 65535 bytes; 0 means "unbounded", which TS allows for video only.
  const lengthField = streamId >= 0xe0 && packetLength > 0xffff ? 0 : packetLength;
  header[4] = (lengthField >> 8) & 0xff;
  header[5] = lengthField & 0xff;
  header[6] = 0x80;
  header[7] = withDts ? 0xc0 : 0x80;
  header[8] = headerDataLength;
  writeTimestamp(header, 9, withDts ? 0x3 : 0x2, wrap(pts));
  if (withDts) writeTimestamp(header, 14, 0x1, wrap(dts));
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

function packetize(pid: number, pes: Uint8Array, counters: Map<number, number>, pcr?: number): Uint8Array[] {
  const packets: Uint8Array[] = [];
  let offset = 0;
  let first = true;
  while (offset < pes.length) {
    const packet = new Uint8Array(TS_PACKET_SIZE);
    packet[0] = TS_SYNC_BYTE;
    packet[1] = (first ? 0x40 : 0) | ((pid >> 8) & 0x1f);
    packet[2] = pid & 0xff;
    const withPcr = first && pcr !== undefined;
    const minAdaptation = withPcr ? 8 : 0;
    const remaining = pes.length - offset;
    const space = TS_PACKET_SIZE - 4 - minAdaptation;
    const payloadSize = Math.min(space, remaining);
    const adaptationSize = TS_PACKET_SIZE - 4 - payloadSize;
    packet[3] = (adaptationSize > 0 ? 0x30 : 0x10) | nextCounter(counters, pid);
    if (adaptationSize > 0) {
      packet[4] = adaptationSize - 1;
      if (adaptationSize > 1) {
        packet[5] = withPcr ? 0x10 : 0x00;
        let at = 6;
        if (withPcr && pcr !== undefined) {
          writePcr(packet, 6, wrap(pcr), 0);
          at = 12;
        }
        packet.fill(0xff, at, 4 + adaptationSize);
      }
    }
    packet.set(pes.subarray(offset, offset + payloadSize), 4 + adaptationSize);
    offset += payloadSize;
    first = false;
    packets.push(packet);
  }
  return packets;
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

export function crc32Mpeg2(bytes: ArrayLike<number>): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i += 1) {
    crc = ((crc << 8) ^ (CRC_TABLE[((crc >>> 24) ^ (bytes[i] ?? 0)) & 0xff] ?? 0)) >>> 0;
  }
  return crc >>> 0;
}

/**
 * A copy of a segment carrying its video stream only: packets of the other elementary streams are
 * dropped and the PMT lists the video stream alone (for a video-only stream built from a
 * two-track fixture).
 */
export function filterTsToVideo(segment: Uint8Array): Uint8Array {
  const streams = readProgramStreams(segment);
  const dropped = new Set(streams.filter((s) => s.kind !== 'video').map((s) => s.pid));
  if (dropped.size === 0) return segment.slice();
  const packets = readTsPackets(segment);
  const pat = packets.find((p) => p.pid === 0 && p.payloadUnitStart);
  const patStart = pat ? pat.payloadOffset + 1 + (segment[pat.payloadOffset] ?? 0) : 0;
  const pmtPid = (((segment[patStart + 10] ?? 0) & 0x1f) << 8) | (segment[patStart + 11] ?? 0);
  const kept: Uint8Array[] = [];
  for (const packet of packets) {
    if (dropped.has(packet.pid)) continue;
    const bytes = segment.slice(packet.offset, packet.offset + TS_PACKET_SIZE);
    if (packet.pid === pmtPid && packet.payloadUnitStart) {
      const start =
        packet.payloadOffset - packet.offset + 1 + (bytes[packet.payloadOffset - packet.offset] ?? 0);
      rewritePmtWithout(bytes, start, dropped);
    }
    kept.push(bytes);
  }
  const out = new Uint8Array(kept.length * TS_PACKET_SIZE);
  kept.forEach((packet, i) => out.set(packet, i * TS_PACKET_SIZE));
  return out;
}

function rewritePmtWithout(packet: Uint8Array, start: number, dropped: ReadonlySet<number>): void {
  const sectionLength = (((packet[start + 1] ?? 0) & 0x0f) << 8) | (packet[start + 2] ?? 0);
  const programInfoLength = (((packet[start + 10] ?? 0) & 0x0f) << 8) | (packet[start + 11] ?? 0);
  const head = Array.from(packet.subarray(start, start + 12 + programInfoLength));
  const entries: number[] = [];
  for (let i = start + 12 + programInfoLength; i < start + 3 + sectionLength - 4;) {
    const pid = (((packet[i + 1] ?? 0) & 0x1f) << 8) | (packet[i + 2] ?? 0);
    const esInfoLength = (((packet[i + 3] ?? 0) & 0x0f) << 8) | (packet[i + 4] ?? 0);
    if (!dropped.has(pid)) entries.push(...packet.subarray(i, i + 5 + esInfoLength));
    i += 5 + esInfoLength;
  }
  const length = head.length - 3 + entries.length + 4;
  head[1] = ((head[1] ?? 0) & 0xf0) | ((length >> 8) & 0x0f);
  head[2] = length & 0xff;
  const section = withCrc([...head, ...entries]);
  packet.fill(0xff, start);
  packet.set(section, start);
}
