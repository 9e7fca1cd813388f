/**
 * The pixel work of GetImages, in plain JavaScript (jpeg-js, pngjs): decode a still, resample it to the
 * requested size, encode it as JPEG or PNG. Pure functions; StillRenderer runs them on worker threads.
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

export interface Rgba {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

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

/** The image encoded as the request asks: JPEG at its quality, or an RGB PNG. */
export function encodeImage(image: Rgba, request: ImageRequest): Buffer {
  if (request.format === 'JPEG') return encodeJpeg(image, request.jpegQuality).data;
  const png = new PNG({ width: image.width, height: image.height });
  png.data = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  // Video has no transparency: plain RGB, a quarter smaller than RGBA.
  return PNG.sync.write(png, { colorType: 2 });
}

/** A JPEG still as RGBA pixels. */
export function decodeStill(jpeg: Uint8Array): Rgba {
  return decodeJpeg(jpeg, { useTArray: true, formatAsRGBA: true });
}
