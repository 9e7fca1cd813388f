import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode as decodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';

export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  /** RGBA. */
  readonly data: Uint8Array;
}

const FIXTURES = join(__dirname, '..', '..', '..', 'fixtures');

/** Width and height from the JPEG's own frame header (SOF0..SOF2), read without a decoder. */
export function jpegFrameSize(bytes: Uint8Array): { width: number; height: number } {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new Error('no JPEG start-of-image marker');
  if (bytes[bytes.length - 2] !== 0xff || bytes[bytes.length - 1] !== 0xd9) {
    throw new Error('no JPEG end-of-image marker');
  }
  for (let at = 2; at + 9 < bytes.length;) {
    if (bytes[at] !== 0xff) throw new Error(`no JPEG marker at ${at}`);
    const marker = bytes[at + 1]!;
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    if (marker >= 0xc0 && marker <= 0xc2) {
      return {
        height: (bytes[at + 5]! << 8) | bytes[at + 6]!,
        width: (bytes[at + 7]! << 8) | bytes[at + 8]!,
      };
    }
    at += 2 + length;
  }
  throw new Error('no JPEG frame header');
}

/** Width and height from the PNG's IHDR chunk, read without a decoder. */
export function pngHeaderSize(bytes: Uint8Array): { width: number; height: number } {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (!signature.every((byte, i) => bytes[i] === byte)) throw new Error('no PNG signature');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') throw new Error('no PNG IHDR chunk first');
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Decodes a JPEG (jpeg-js) or a PNG (pngjs, which checks every chunk's CRC and the zlib stream). */
export function decodeImage(bytes: Uint8Array): DecodedImage & { format: 'JPEG' | 'PNG' } {
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    return { format: 'JPEG', ...decodeJpeg(bytes, { useTArray: true, formatAsRGBA: true }) };
  }
  const png = PNG.sync.read(Buffer.from(bytes));
  return { format: 'PNG', width: png.width, height: png.height, data: new Uint8Array(png.data) };
}

/** The stills the fixture script rendered, decoded, in clip order. */
export function fixtureStills(): { intervalMs: number; images: DecodedImage[] } {
  const manifest = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as {
    stills: { intervalMs: number; files: string[] };
  };
  return {
    intervalMs: manifest.stills.intervalMs,
    images: manifest.stills.files.map((name) => decodeImage(readFileSync(join(FIXTURES, name)))),
  };
}

/** Mean absolute difference of the RGB channels of two images of the same size. */
export function meanDifference(a: DecodedImage, b: DecodedImage): number {
  if (a.width !== b.width || a.height !== b.height) throw new Error('images of different sizes');
  // No global (Math) inside the loop: jest's module sandbox makes every global lookup slow.
  const x = a.data;
  const y = b.data;
  let sum = 0;
  for (let i = 0; i < x.length; i += 1) {
    if ((i & 3) === 3) continue;
    const difference = x[i]! - y[i]!;
    sum += difference < 0 ? -difference : difference;
  }
  return sum / ((x.length / 4) * 3);
}

/** Which of `stills` an image shows: the one it differs from least. */
export function closestStill(image: DecodedImage, stills: readonly DecodedImage[]): number {
  let best = -1;
  let bestDifference = Number.POSITIVE_INFINITY;
  stills.forEach((still, index) => {
    const difference = meanDifference(image, still);
    if (difference < bestDifference) {
      best = index;
      bestDifference = difference;
    }
  });
  return best;
}
