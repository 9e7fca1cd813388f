/**
 * A small MPEG-TS muxer: one fragment's H.264 access units and ADTS AAC frames into a segment with
 * its own PAT and PMT, as HLS `.ts` fragments are.
 */

import {
  sectionWithCrc,
  STREAM_TYPE_ADTS_AAC,
  STREAM_TYPE_H264,
  TS_PACKET_SIZE,
  TS_SYNC_BYTE,
  wrapTimestamp,
  writePcr,
  writeTimestamp,
} from './mpeg-ts-fields';

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

function patSection(): Uint8Array {
  const body = [0x00, 0x01, 0xc1, 0x00, 0x00, 0x00, 0x01, 0xe0 | (PMT_PID >> 8), PMT_PID & 0xff];
  const length = body.length + 4;
  return sectionWithCrc([0x00, 0xb0 | (length >> 8), length & 0xff, ...body]);
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
  return sectionWithCrc([0x02, 0xb0 | (length >> 8), length & 0xff, ...body]);
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
  writeTimestamp(header, 9, withDts ? 0x3 : 0x2, wrapTimestamp(pts));
  if (withDts) writeTimestamp(header, 14, 0x1, wrapTimestamp(dts));
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
          writePcr(packet, 6, wrapTimestamp(pcr), 0);
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
