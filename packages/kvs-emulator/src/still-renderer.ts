/**
 * Turns a clip's JPEG stills into the images GetImages answers, off the main thread: a small pool of worker
 * threads (started on first use) decodes, resamples and encodes (see still-image.ts), so that a page of
 * large images keeps the event loop free for every other request. Images come back in base64, as the JSON
 * answer carries them, so the main thread neither encodes nor copies them. A looping stream shows the same
 * few stills over and over, so images are kept in a cache bounded by bytes (of base64), and a request for
 * an image already being made waits for that one.
 */
import { availableParallelism } from 'node:os';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { JsonAsciiString } from './http-messages';
import { EmulatorStopped } from './pending-delays';
import type { ImageRequest } from './still-image';
import type { RenderJob, RenderReply } from './still-worker';

export type { ImageFormat, ImageRequest } from './still-image';

const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;

/** One thread less than the machine has, leaving one for the event loop; at least one, at most four. */
const defaultThreads = (): number => Math.max(1, Math.min(4, availableParallelism() - 1));

/**
 * The worker's code. From the compiled package it is `still-worker.js` beside this file; from the
 * TypeScript sources (this repository: tsx, jest) it is `still-worker.ts`, loaded through tsx, which
 * every way of running the sources here already has installed.
 */
function workerSource(): string {
  const file = join(__dirname, `still-worker${extname(__filename)}`);
  if (extname(__filename) !== '.ts') return `require(${JSON.stringify(file)});`;
  const tsx = require.resolve('tsx/cjs/api');
  return `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(file)});`;
}

/** An image as GetImages answers it: base64, as ASCII bytes that a JSON answer carries as they are. */
export class Base64Image extends JsonAsciiString {
  /** The image's own bytes (JPEG or PNG). */
  bytes(): Buffer {
    return Buffer.from(this.ascii.toString('latin1'), 'base64');
  }
}

interface Job {
  readonly resolve: (image: Base64Image) => void;
  readonly reject: (error: Error) => void;
}

interface Thread {
  readonly worker: Worker;
  readonly jobs: Map<number, Job>;
}

export class StillRenderer {
  private readonly ids = new WeakMap<Uint8Array, number>();
  private readonly encoded = new Map<string, Base64Image>();
  private readonly inFlight = new Map<string, Promise<Base64Image>>();
  private readonly threads: Thread[] = [];
  private cachedBytes = 0;
  private nextStillId = 0;
  private nextJobId = 0;
  private closed = false;

  constructor(
    private readonly maxCacheBytes = DEFAULT_CACHE_BYTES,
    private readonly maxThreads = defaultThreads(),
  ) {}

  /** The still as an image of the requested size and format (shared: do not modify it). */
  render(jpeg: Uint8Array, request: ImageRequest): Promise<Base64Image> {
    const stillId = this.idOf(jpeg);
    const key = `${stillId}/${request.width}x${request.height}/${request.format}/${request.format === 'JPEG' ? request.jpegQuality : 0}`;
    const hit = this.encoded.get(key);
    if (hit) {
      // Most recently used last: Map keeps insertion order, so eviction takes the oldest first.
      this.encoded.delete(key);
      this.encoded.set(key, hit);
      return Promise.resolve(hit);
    }
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.run({ id: this.nextJobId++, stillId, jpeg, request }).then(
        (image) => {
          this.inFlight.delete(key);
          this.remember(key, image);
          return image;
        },
        (error: unknown) => {
          this.inFlight.delete(key);
          throw error;
        },
      );
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  /** Stops the worker threads; images still being made are refused with EmulatorStopped. */
  async close(): Promise<void> {
    this.closed = true;
    const threads = this.threads.splice(0);
    for (const thread of threads) this.fail(thread, new EmulatorStopped('The emulator stopped.'));
    await Promise.all(threads.map((thread) => thread.worker.terminate()));
  }

  private run(job: RenderJob): Promise<Base64Image> {
    if (this.closed) return Promise.reject(new EmulatorStopped('The emulator stopped.'));
    const thread = this.leastBusyThread();
    return new Promise<Base64Image>((resolve, reject) => {
      thread.jobs.set(job.id, { resolve, reject });
      thread.worker.postMessage(job);
    });
  }

  private leastBusyThread(): Thread {
    const idle = this.threads.find((thread) => thread.jobs.size === 0);
    if (idle || this.threads.length >= this.maxThreads) {
      return idle ?? this.threads.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
    }
    return this.startThread();
  }

  private startThread(): Thread {
    // No inherited flags (a tsx launcher's own loaders, say): the worker's source sets up what it needs.
    const worker = new Worker(workerSource(), { eval: true, execArgv: [] });
    // Idle threads must not keep a process alive that forgot to stop its emulator.
    worker.unref();
    const thread: Thread = { worker, jobs: new Map() };
    worker.on('message', (reply: RenderReply) => {
      const job = thread.jobs.get(reply.id);
      if (!job) return;
      thread.jobs.delete(reply.id);
      if ('error' in reply) job.reject(new Error(`GetImages could not render an image: ${reply.error}`));
      else {
        const { base64 } = reply;
        job.resolve(new Base64Image(Buffer.from(base64.buffer, base64.byteOffset, base64.byteLength)));
      }
    });
    const lost = (error: Error): void => {
      const index = this.threads.indexOf(thread);
      if (index >= 0) this.threads.splice(index, 1);
      this.fail(thread, error);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the image worker thread exited with code ${code}`)));
    this.threads.push(thread);
    return thread;
  }

  private fail(thread: Thread, error: Error): void {
    for (const job of thread.jobs.values()) job.reject(error);
    thread.jobs.clear();
  }

  private idOf(jpeg: Uint8Array): number {
    let id = this.ids.get(jpeg);
    if (id === undefined) {
      id = this.nextStillId;
      this.nextStillId += 1;
      this.ids.set(jpeg, id);
    }
    return id;
  }

  private remember(key: string, image: Base64Image): void {
    if (image.ascii.length > this.maxCacheBytes) return;
    this.encoded.set(key, image);
    this.cachedBytes += image.ascii.length;
    for (const [oldKey, old] of this.encoded) {
      if (this.cachedBytes <= this.maxCacheBytes) break;
      this.encoded.delete(oldKey);
      this.cachedBytes -= old.ascii.length;
    }
  }
}
