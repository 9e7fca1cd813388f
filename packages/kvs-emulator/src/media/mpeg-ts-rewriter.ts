/**
 * Rewriting recorded MPEG-TS segments for their place on a stream's timeline: timestamps shifted,
 * continuity counters renumbered, or every stream but video dropped.
 */

import {
  NULL_PID,
  readPcr,
  readTimestamp,
  sectionWithCrc,
  TS_PACKET_SIZE,
  wrapTimestamp,
  writePcr,
  writeTimestamp,
} from './mpeg-ts-fields';
import { pesHeaderAt, readProgramStreams, readTsPackets } from './mpeg-ts-reader';

/**
 * A copy of a segment with every PTS, DTS and PCR base moved by `offset` ticks (90 kHz), modulo
 * 2^33. Packets, payloads and continuity counters are untouched.
 */
export function shiftTsTimestamps(segment: Uint8Array, offset: number): Uint8Array {
  const out = segment.slice();
  for (const packet of readTsPackets(out)) {
    if (packet.pcrOffset !== undefined) {
      const pcr = readPcr(out, packet.pcrOffset);
      writePcr(out, packet.pcrOffset, wrapTimestamp(pcr.base + offset), pcr.extension);
    }
    const header = pesHeaderAt(out, packet);
    if (!header) continue;
    for (const at of [header.ptsOffset, header.dtsOffset]) {
      if (at === undefined) continue;
      writeTimestamp(out, at, (out[at] ?? 0) >> 4, wrapTimestamp(readTimestamp(out, at) + offset));
    }
  }
  return out;
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
  const section = sectionWithCrc([...head, ...entries]);
  packet.fill(0xff, start);
  packet.set(section, start);
}
