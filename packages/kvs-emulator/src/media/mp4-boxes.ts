/**
 * Byte-level ISO BMFF (MP4) box reading and writing: just enough to split init segments into
 * tracks, merge them, and rewrite `moof` boxes (sequence number, decode time, track id, data offset)
 * without re-encoding anything.
 */

export interface BoxRef {
  readonly type: string;
  /** Offset of the box header in the buffer it was read from. */
  readonly start: number;
  /** Offset of the first byte after the header. */
  readonly payloadStart: number;
  /** Offset of the first byte after the box. */
  readonly end: number;
}

/** Boxes whose payload is a plain list of child boxes. */
const CONTAINER_TYPES = new Set([
  'moov',
  'trak',
  'mdia',
  'minf',
  'stbl',
  'mvex',
  'moof',
  'traf',
  'edts',
  'dinf',
]);

export function readBoxes(bytes: Uint8Array, start = 0, end = bytes.length): BoxRef[] {
  const view = viewOf(bytes);
  const boxes: BoxRef[] = [];
  let offset = start;
  while (offset + 8 <= end) {
    let size = view.getUint32(offset);
    const type = fourCc(bytes, offset + 4);
    let headerSize = 8;
    if (size === 1) {
      size = Number(view.getBigUint64(offset + 8));
      headerSize = 16;
    } else if (size === 0) {
      size = end - offset;
    }
    if (size < headerSize || offset + size > end) {
      throw new Error(`Malformed MP4: box '${type}' at ${offset} has size ${size}`);
    }
    boxes.push({ type, start: offset, payloadStart: offset + headerSize, end: offset + size });
    offset += size;
  }
  return boxes;
}

export function childBoxes(bytes: Uint8Array, parent: BoxRef): BoxRef[] {
  return readBoxes(bytes, parent.payloadStart, parent.end);
}

/** First box along a path of types, e.g. `['moov', 'trak', 'mdia', 'mdhd']`. */
export function findBox(bytes: Uint8Array, path: readonly string[], within?: BoxRef): BoxRef | undefined {
  let candidates = within ? childBoxes(bytes, within) : readBoxes(bytes);
  let found: BoxRef | undefined;
  for (const type of path) {
    found = candidates.find((box) => box.type === type);
    if (!found) return undefined;
    candidates = CONTAINER_TYPES.has(type) ? childBoxes(bytes, found) : [];
  }
  return found;
}

export function requireBox(bytes: Uint8Array, path: readonly string[], within?: BoxRef): BoxRef {
  const box = findBox(bytes, path, within);
  if (!box) throw new Error(`Malformed MP4: no '${path.join('/')}' box`);
  return box;
}

export function boxBytes(bytes: Uint8Array, box: BoxRef): Uint8Array {
  return bytes.subarray(box.start, box.end);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function writeBox(type: string, ...payload: readonly Uint8Array[]): Uint8Array {
  const body = concatBytes(payload);
  const out = new Uint8Array(8 + body.length);
  viewOf(out).setUint32(0, out.length);
  writeFourCc(out, 4, type);
  out.set(body, 8);
  return out;
}

export function writeFullBox(
  type: string,
  version: number,
  flags: number,
  ...payload: readonly Uint8Array[]
): Uint8Array {
  const header = new Uint8Array(4);
  viewOf(header).setUint32(0, ((version & 0xff) << 24) | (flags & 0xffffff));
  return writeBox(type, header, ...payload);
}

/** Big-endian unsigned integers of the given byte widths, packed in order. */
export function packUints(
  fields: readonly (readonly [width: 1 | 2 | 4 | 8, value: number | bigint])[],
): Uint8Array {
  const out = new Uint8Array(fields.reduce((sum, [width]) => sum + width, 0));
  const view = viewOf(out);
  let offset = 0;
  for (const [width, value] of fields) {
    if (width === 1) view.setUint8(offset, Number(value));
    else if (width === 2) view.setUint16(offset, Number(value));
    else if (width === 4) view.setUint32(offset, Number(value) >>> 0);
    else view.setBigUint64(offset, BigInt(value));
    offset += width;
  }
  return out;
}

export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function fourCc(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + 4));
}

function writeFourCc(bytes: Uint8Array, offset: number, type: string): void {
  for (let i = 0; i < 4; i += 1) bytes[offset + i] = type.charCodeAt(i);
}

function fullBoxVersion(bytes: Uint8Array, box: BoxRef): number {
  return bytes[box.payloadStart] ?? 0;
}

// ---------------------------------------------------------------------------------------------
// Init segments

export interface InitTrackParts {
  readonly ftyp: Uint8Array;
  readonly mvhd: Uint8Array;
  readonly trak: Uint8Array;
  readonly trex: Uint8Array;
  readonly timescale: number;
}

/** Splits a single-track init segment into the parts a (merged) init is built from. */
export function readInitTrack(init: Uint8Array, trackId: number): InitTrackParts {
  const ftyp = boxBytes(init, requireBox(init, ['ftyp']));
  const mvhd = boxBytes(init, requireBox(init, ['moov', 'mvhd']));
  const trak = withTrackId(boxBytes(init, requireBox(init, ['moov', 'trak'])), trackId);
  const trex = withTrackId(boxBytes(init, requireBox(init, ['moov', 'mvex', 'trex'])), trackId);
  return { ftyp, mvhd, trak, trex, timescale: mediaTimescale(trak) };
}

/**
 * `ftyp` + `moov` holding the given tracks (already numbered), fragmented (`mvex`/`trex`). With
 * `fragmentDurationMs` the `mvex` starts with a `mehd` (version 1) declaring the whole movie's length, as
 * a file of known length (a clip) does: players and ffprobe read a fragmented file's duration from it.
 */
export function buildInitSegment(
  tracks: readonly InitTrackParts[],
  options: { readonly fragmentDurationMs?: number } = {},
): Uint8Array {
  const first = tracks[0];
  if (!first) throw new Error('An init segment needs at least one track');
  const nextTrackId = Math.max(...tracks.map((t) => trackIdOf(t.trak))) + 1;
  const mvhd = first.mvhd.slice();
  // next_track_ID is the last field of mvhd, whatever its version.
  viewOf(mvhd).setUint32(mvhd.length - 4, nextTrackId);
  const mehd =
    options.fragmentDurationMs === undefined
      ? []
      : [
          writeFullBox(
            'mehd',
            1,
            0,
            packUints([[8, BigInt(Math.round((options.fragmentDurationMs * movieTimescale(mvhd)) / 1000))]]),
          ),
        ];
  return concatBytes([
    first.ftyp,
    writeBox(
      'moov',
      mvhd,
      ...tracks.map((t) => t.trak),
      writeBox('mvex', ...mehd, ...tracks.map((t) => t.trex)),
    ),
  ]);
}

/** The timescale of a `mvhd` box (its bytes, header included). */
function movieTimescale(mvhd: Uint8Array): number {
  // After size, type, version and flags: creation and modification times (4 bytes each in version 0,
  // 8 in version 1), then the timescale.
  return viewOf(mvhd).getUint32(mvhd[8] === 1 ? 28 : 20);
}

export function mediaTimescale(trakOrInit: Uint8Array): number {
  const boxes = readBoxes(trakOrInit);
  const path = boxes[0]?.type === 'trak' ? ['trak', 'mdia', 'mdhd'] : ['moov', 'trak', 'mdia', 'mdhd'];
  const mdhd = requireBox(trakOrInit, path);
  const version = fullBoxVersion(trakOrInit, mdhd);
  return viewOf(trakOrInit).getUint32(mdhd.payloadStart + 4 + (version === 1 ? 16 : 8));
}

function trackIdOf(trak: Uint8Array): number {
  const tkhd = requireBox(trak, ['trak', 'tkhd']);
  const version = fullBoxVersion(trak, tkhd);
  return viewOf(trak).getUint32(tkhd.payloadStart + 4 + (version === 1 ? 16 : 8));
}

/** A copy of a `trak` or `trex` box with its track id replaced. */
function withTrackId(box: Uint8Array, trackId: number): Uint8Array {
  const copy = box.slice();
  const [ref] = readBoxes(copy);
  if (!ref) throw new Error('Malformed MP4: empty box');
  if (ref.type === 'trex') {
    viewOf(copy).setUint32(ref.payloadStart + 4, trackId);
    return copy;
  }
  const tkhd = requireBox(copy, ['trak', 'tkhd']);
  const version = fullBoxVersion(copy, tkhd);
  viewOf(copy).setUint32(tkhd.payloadStart + 4 + (version === 1 ? 16 : 8), trackId);
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Media fragments

const TFHD_BASE_DATA_OFFSET = 0x000001;
const TFHD_DEFAULT_BASE_IS_MOOF = 0x020000;
const TRUN_DATA_OFFSET = 0x000001;

/** The decode time (tfdt) of the first `traf` of the first `moof` of a fragment. */
export function readBaseMediaDecodeTime(fragment: Uint8Array): bigint {
  const tfdt = requireBox(fragment, ['moof', 'traf', 'tfdt']);
  const view = viewOf(fragment);
  return fullBoxVersion(fragment, tfdt) === 1
    ? view.getBigUint64(tfdt.payloadStart + 4)
    : BigInt(view.getUint32(tfdt.payloadStart + 4));
}

export function readSequenceNumber(fragment: Uint8Array): number {
  const mfhd = requireBox(fragment, ['moof', 'mfhd']);
  return viewOf(fragment).getUint32(mfhd.payloadStart + 4);
}

export interface FragmentRewrite {
  /** mfhd sequence number of the first `moof`; later ones in the same fragment follow on. */
  readonly sequenceNumber: number;
  /** New tfdt of the first `moof`; later `moof`s keep their distance to it. */
  readonly baseMediaDecodeTime: bigint;
  /** Track id written into every `tfhd`. */
  readonly trackId: number;
}

/**
 * Rebuilds every `moof` of a fragment (a run of `moof` + `mdat` pairs; `styp`, `sidx` and other
 * boxes are dropped): mfhd sequence number, `tfdt` as version 1 (64-bit), track id, and `trun`
 * data offsets made relative to the new `moof` (default-base-is-moof) since box sizes change.
 */
export function rewriteFragment(fragment: Uint8Array, rewrite: FragmentRewrite): Uint8Array {
  const boxes = readBoxes(fragment);
  const out: Uint8Array[] = [];
  let firstDecodeTime: bigint | undefined;
  let moofIndex = 0;
  for (let i = 0; i < boxes.length; i += 1) {
    const moof = boxes[i];
    if (moof?.type !== 'moof') continue;
    const mdat = boxes[i + 1];
    if (mdat?.type !== 'mdat') throw new Error('Malformed fragment: moof not followed by mdat');
    const originalDecodeTime = readTrafDecodeTime(fragment, moof);
    firstDecodeTime ??= originalDecodeTime;
    const decodeTime = rewrite.baseMediaDecodeTime + (originalDecodeTime - firstDecodeTime);
    const sequenceNumber = (rewrite.sequenceNumber + moofIndex) % 2 ** 32;
    out.push(
      ...rebuildMoof(fragment, moof, mdat, { sequenceNumber, decodeTime, trackId: rewrite.trackId }),
      boxBytes(fragment, mdat),
    );
    moofIndex += 1;
    i += 1;
  }
  if (moofIndex === 0) throw new Error('Malformed fragment: no moof');
  return concatBytes(out);
}

function readTrafDecodeTime(bytes: Uint8Array, moof: BoxRef): bigint {
  const tfdt = findBox(bytes, ['traf', 'tfdt'], moof);
  if (!tfdt) return 0n;
  const view = viewOf(bytes);
  return fullBoxVersion(bytes, tfdt) === 1
    ? view.getBigUint64(tfdt.payloadStart + 4)
    : BigInt(view.getUint32(tfdt.payloadStart + 4));
}

function rebuildMoof(
  bytes: Uint8Array,
  moof: BoxRef,
  mdat: BoxRef,
  values: { sequenceNumber: number; decodeTime: bigint; trackId: number },
): Uint8Array[] {
  const view = viewOf(bytes);
  // Where each trun's samples sit, measured from the start of the mdat payload, so that offsets can
  // be recomputed against the new moof whatever addressing the source used.
  const dataStarts: number[] = [];
  const trafs: { children: BoxRef[]; tfhdFlags: number }[] = [];
  for (const traf of childBoxes(bytes, moof).filter((b) => b.type === 'traf')) {
    const children = childBoxes(bytes, traf);
    const tfhd = children.find((b) => b.type === 'tfhd');
    if (!tfhd) throw new Error('Malformed fragment: traf without tfhd');
    const tfhdFlags = view.getUint32(tfhd.payloadStart) & 0xffffff;
    const base =
      tfhdFlags & TFHD_BASE_DATA_OFFSET ? Number(view.getBigUint64(tfhd.payloadStart + 8)) : moof.start;
    for (const trun of children.filter((b) => b.type === 'trun')) {
      const trunFlags = view.getUint32(trun.payloadStart) & 0xffffff;
      if (!(trunFlags & TRUN_DATA_OFFSET)) {
        throw new Error('Unsupported fragment: trun without data offset');
      }
      dataStarts.push(base + view.getInt32(trun.payloadStart + 8) - mdat.payloadStart);
    }
    trafs.push({ children, tfhdFlags });
  }

  const mfhd = writeFullBox('mfhd', 0, 0, packUints([[4, values.sequenceNumber]]));
  const buildTrafs = (moofSize: number): Uint8Array[] => {
    let trunIndex = 0;
    const mdatHeaderSize = mdat.payloadStart - mdat.start;
    return trafs.map(({ children, tfhdFlags }) => {
      const parts: Uint8Array[] = [];
      for (const child of children) {
        if (child.type === 'tfhd') {
          parts.push(rewriteTfhd(bytes, child, tfhdFlags, values.trackId));
        } else if (child.type === 'tfdt') {
          continue;
        } else if (child.type === 'trun') {
          const trun = boxBytes(bytes, child).slice();
          const dataStart = dataStarts[trunIndex] ?? 0;
          viewOf(trun).setInt32(16, moofSize + mdatHeaderSize + dataStart);
          trunIndex += 1;
          parts.push(trun);
        } else {
          parts.push(boxBytes(bytes, child));
        }
        if (child.type === 'tfhd') {
          parts.push(writeFullBox('tfdt', 1, 0, packUints([[8, values.decodeTime]])));
        }
      }
      return writeBox('traf', ...parts);
    });
  };
  // Offsets depend on the moof size, which does not depend on the offsets: size first, then write.
  const moofSize = writeBox('moof', mfhd, ...buildTrafs(0)).length;
  return [writeBox('moof', mfhd, ...buildTrafs(moofSize))];
}

function rewriteTfhd(bytes: Uint8Array, tfhd: BoxRef, flags: number, trackId: number): Uint8Array {
  const hasBaseOffset = (flags & TFHD_BASE_DATA_OFFSET) !== 0;
  const rest = bytes.subarray(tfhd.payloadStart + 8 + (hasBaseOffset ? 8 : 0), tfhd.end);
  const newFlags = (flags & ~TFHD_BASE_DATA_OFFSET) | TFHD_DEFAULT_BASE_IS_MOOF;
  return writeFullBox('tfhd', 0, newFlags, packUints([[4, trackId]]), rest);
}
