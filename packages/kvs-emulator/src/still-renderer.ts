/**
 * Turns a clip's JPEG stills into the images GetImages answers: decoded once, resampled to the requested
 * size and encoded as JPEG or PNG, all in JavaScript (jpeg-js, pngjs). A looping stream shows the same
 * few stills over and over, so encoded images are kept in a small cache bounded by bytes.
 */
import { decode as decodeJpeg, encode as encodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';

export type ImageFormat = 'JPEG' | 'PNG';

export interface ImageRequest {
  readonly width: number;
  readonly height: number;
  readonly format: ImageFormat;
  /** 1 (smallest) to 100 (best); ignored for PNG. */
  readonly jpegQuality: number;
}

interface Rgba {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * Sample positions and weights of a linear (tent) filter from `source` to `target` samples. When
 * shrinking, the tent widens to the scale factor, so every source sample contributes (no aliasing);
 * when growing, it is plain linear interpolation.
 */
function resampleWeights(source: number, target: number): { start: number; weights: Float64Array }[] {
  const scale = source / target;
  const support = Math.max(1, scale);
  return Array.from({ length: target }, (_, i) => {
    const center = (i + 0.5) * scale - 0.5;
    const start = Math.max(0, Math.floor(center - support) + 1);
    const end = Math.min(source - 1, Math.ceil(center + support) - 1);
    const weights = new Float64Array(Math.max(1, end - start + 1));
    let total = 0;
    for (let j = start; j <= end; j += 1) {
      const weight = Math.max(0, 1 - Math.abs(j - center) / support);
      weights[j - start] = weight;
      total += weight;
    }
    if (total === 0) {
      // The nearest sample, for a target position outside every tent (the edges of a tiny source).
      const nearest = Math.min(source - 1, Math.max(0, Math.round(center)));
      return { start: nearest, weights: Float64Array.of(1) };
    }
    for (let j = 0; j < weights.length; j += 1) weights[j] = (weights[j] ?? 0) / total;
    return { start, weights };
  });
}

/** Separable resampling: rows first into a float buffer, then columns into RGBA bytes. */
export function resize(image: Rgba, width: number, height: number): Rgba {
  if (width === image.width && height === image.height) return image;
  const columns = resampleWeights(image.width, width);
  const rows = resampleWeights(image.height, height);
  const source = image.data;
  const horizontal = new Float32Array(width * image.height * 4);
  for (let y = 0; y < image.height; y += 1) {
    const rowStart = y * image.width;
    for (let x = 0; x < width; x += 1) {
      const { start, weights } = columns[x]!;
      const out = (y * width + x) * 4;
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let k = 0; k < weights.length; k += 1) {
        const weight = weights[k]!;
        const at = (rowStart + start + k) * 4;
        r += weight * source[at]!;
        g += weight * source[at + 1]!;
        b += weight * source[at + 2]!;
        a += weight * source[at + 3]!;
      }
      horizontal[out] = r;
      horizontal[out + 1] = g;
      horizontal[out + 2] = b;
      horizontal[out + 3] = a;
    }
  }
  // A Uint8ClampedArray rounds and clamps on assignment.
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y += 1) {
    const { start, weights } = rows[y]!;
    for (let x = 0; x < width * 4; x += 1) {
      let sum = 0;
      for (let k = 0; k < weights.length; k += 1) {
        sum += weights[k]! * horizontal[(start + k) * width * 4 + x]!;
      }
      data[y * width * 4 + x] = sum;
    }
  }
  return { width, height, data: new Uint8Array(data.buffer) };
}

function encode(image: Rgba, request: ImageRequest): Buffer {
  if (request.format === 'JPEG') return encodeJpeg(image, request.jpegQuality).data;
  const png = new PNG({ width: image.width, height: image.height });
  png.data = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  // Video has no transparency: plain RGB, a quarter smaller than RGBA.
  return PNG.sync.write(png, { colorType: 2 });
}

export class StillRenderer {
  private readonly decoded = new WeakMap<Uint8Array, Rgba>();
  private readonly ids = new WeakMap<Uint8Array, number>();
  private readonly encoded = new Map<string, Buffer>();
  private cachedBytes = 0;
  private nextId = 0;

  constructor(private readonly maxCacheBytes = DEFAULT_CACHE_BYTES) {}

  /** The still as an image of the requested size and format (a shared buffer: do not modify it). */
  render(jpeg: Uint8Array, request: ImageRequest): Buffer {
    const key = `${this.idOf(jpeg)}/${request.width}x${request.height}/${request.format}/${request.format === 'JPEG' ? request.jpegQuality : 0}`;
    const hit = this.encoded.get(key);
    if (hit) {
      // Most recently used last: Map keeps insertion order, so eviction takes the oldest first.
      this.encoded.delete(key);
      this.encoded.set(key, hit);
      return hit;
    }
    const image = encode(resize(this.decode(jpeg), request.width, request.height), request);
    this.remember(key, image);
    return image;
  }

  private decode(jpeg: Uint8Array): Rgba {
    let image = this.decoded.get(jpeg);
    if (!image) {
      image = decodeJpeg(jpeg, { useTArray: true, formatAsRGBA: true });
      this.decoded.set(jpeg, image);
    }
    return image;
  }

  private idOf(jpeg: Uint8Array): number {
    let id = this.ids.get(jpeg);
    if (id === undefined) {
      id = this.nextId;
      this.nextId += 1;
      this.ids.set(jpeg, id);
    }
    return id;
  }

  private remember(key: string, image: Buffer): void {
    if (image.length > this.maxCacheBytes) return;
    this.encoded.set(key, image);
    this.cachedBytes += image.length;
    for (const [oldKey, old] of this.encoded) {
      if (this.cachedBytes <= this.maxCacheBytes) break;
      this.encoded.delete(oldKey);
      this.cachedBytes -= old.length;
    }
  }
}
