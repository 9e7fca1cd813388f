import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import { asDeployedBundling } from '../../lib/vend-bundling';
import type {
  CacheSide,
  FleetInstanceData,
  FromFleetInstance,
  ToFleetInstance,
  VendReport,
} from './messages';

/**
 * A fleet of cold instances, each a worker thread running bench/fleet/instance.ts bundled as the function
 * is bundled (lib/vend-bundling.ts). The instances are started and initialised first, then given their
 * orders at the same moment: what a deploy or a popular live event does to a Lambda function, where every
 * new instance starts with empty caches.
 */
export interface Fleet {
  readonly size: number;
  /** The first `count` instances vend once each for `streamName`, all at once, on `side`. */
  burst(side: CacheSide, streamName: string, count: number): Promise<readonly VendReport[]>;
  /** Instance `index` vends once for `streamName` on `side`. */
  vend(side: CacheSide, index: number, streamName: string): Promise<VendReport>;
  stop(): Promise<void>;
}

let bundled: Promise<string> | undefined;

/** The instance runtime bundled once per process, into `outDir`. */
export function fleetInstanceBundle(outDir: string): Promise<string> {
  bundled ??= (async () => {
    mkdirSync(outDir, { recursive: true });
    const outfile = join(outDir, 'fleet-instance.mjs');
    await build({
      ...asDeployedBundling({ format: 'esm', enableSourceMaps: false }),
      entryPoints: [join(__dirname, 'instance.ts')],
      outfile,
      sourcemap: false,
      metafile: false,
    });
    return outfile;
  })();
  return bundled;
}

interface Member {
  readonly worker: Worker;
  readonly pending: Map<number, (report: VendReport) => void>;
}

/** Starts `size` instances, at most `initConcurrency` initialising at once, and waits until all are ready. */
export async function startFleet(options: {
  size: number;
  /** The environment of instance `index`. */
  dataFor: (index: number) => FleetInstanceData;
  workDir: string;
  initConcurrency?: number;
}): Promise<Fleet> {
  const file = await fleetInstanceBundle(join(options.workDir, 'fleet-bundle'));
  const members: Member[] = [];
  let nextOrder = 1;
  const start = (index: number): Promise<Member> =>
    new Promise((resolve, reject) => {
      const worker = new Worker(file, {
        workerData: options.dataFor(index),
        env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      });
      const member: Member = { worker, pending: new Map() };
      worker.on('message', (message: FromFleetInstance) => {
        if (message.type === 'ready') resolve(member);
        else if (message.type === 'init-error') reject(new Error(message.message));
        else {
          member.pending.get(message.orderId)?.(message);
          member.pending.delete(message.orderId);
        }
      });
      worker.on('error', reject);
    });
  const concurrency = Math.max(1, options.initConcurrency ?? 8);
  try {
    for (let offset = 0; offset < options.size; offset += concurrency) {
      const batch = Math.min(concurrency, options.size - offset);
      members.push(...(await Promise.all(Array.from({ length: batch }, (_, i) => start(offset + i)))));
    }
  } catch (error) {
    await Promise.all(members.map((member) => member.worker.terminate()));
    throw error;
  }

  const order = (member: Member, side: CacheSide, streamName: string): Promise<VendReport> =>
    new Promise((resolve) => {
      const orderId = nextOrder++;
      member.pending.set(orderId, resolve);
      const message: ToFleetInstance = { type: 'vend', orderId, side, streamName };
      member.worker.postMessage(message);
    });

  return {
    size: members.length,
    burst: (side, streamName, count) =>
      Promise.all(members.slice(0, count).map((member) => order(member, side, streamName))),
    vend: (side, index, streamName) => {
      const member = members[index];
      if (!member) throw new RangeError(`no instance ${index} in a fleet of ${members.length}`);
      return order(member, side, streamName);
    },
    stop: async () => {
      await Promise.all(members.map((member) => member.worker.terminate()));
    },
  };
}
