/**
 * The worker thread of StillRenderer: decodes, resamples and encodes stills, and turns them into base64,
 * one job at a time, so that seconds of pixel work (a page of 25 3840x2160 PNGs) never hold the event loop
 * of the process the emulator runs in (in `npm start`, the local API and its JWKS too).
 */
import { parentPort } from 'node:worker_threads';
import { decodeStill, encodeImage, resize, type ImageRequest, type Rgba } from './still-image';

export interface RenderJob {
  readonly id: number;
  /** Names the still for the worker's cache of decoded stills. */
  readonly stillId: number;
  readonly jpeg: Uint8Array;
  readonly request: ImageRequest;
}

/** `base64`: the encoded image in base64, as ASCII bytes: what GetImages answers, ready to write. */
export type RenderReply =
  { readonly id: number; readonly base64: Uint8Array } | { readonly id: number; readonly error: string };

/** A clip has a still per second; a few streams' worth stay decoded (480x270 RGBA is about 0.5 MB). */
const MAX_DECODED = 64;
const decoded = new Map<number, Rgba>();

function still(job: RenderJob): Rgba {
  let image = decoded.get(job.stillId);
  if (!image) {
    image = decodeStill(job.jpeg);
    if (decoded.size >= MAX_DECODED) decoded.delete(decoded.keys().next().value as number);
    decoded.set(job.stillId, image);
  }
  return image;
}

parentPort?.on('message', (job: RenderJob) => {
  let reply: RenderReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const encoded = encodeImage(resize(still(job), job.request.width, job.request.height), job.request);
    // A buffer of its own: a small Buffer may be a slice of Node's shared pool, which cannot be transferred.
    const base64 = new Uint8Array(Math.ceil(encoded.length / 3) * 4);
    Buffer.from(base64.buffer).write(encoded.toString('base64'), 'latin1');
    reply = { id: job.id, base64 };
    transfer = [base64.buffer];
  } catch (error) {
    reply = { id: job.id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(reply, transfer);
});
