import { join } from 'node:path';
import { startLocalStack } from '../../local/start';
import {
  DEFAULT_MAX_CLIP_SECONDS,
  DEFAULT_MEDIA_BUDGET_MS,
  MEDIA_DEFAULTS,
} from '../../lambda/vend/media-config';
import { liftedQuotas } from '../lib/emulator';
import type { BenchOptions } from '../lib/options';
import type { Figure, ScenarioResult } from '../lib/report';
import { percentile } from '../lib/stats';

const STREAM = 'front-door';
/** Clips longer than the default are asked for too, to see where the time goes as they grow. */
const LONGEST_ASKED_SECONDS = 1200;
/** A clip "fits" when its slowest run takes at most this share of the media budget (the rest is margin). */
const FIT_SHARE = 0.5;

interface Run {
  readonly seconds: number;
  readonly ms: number;
  readonly bytes: number;
}

/**
 * The largest clip that reliably fits (report only; absolute ms are not gated): `POST .../clip-url` through the local stack (API, the media function
 * as Lambda runs it, GetClip of the KVS emulator, the MP4 joined, stored in the local S3 server) for clips
 * of growing length, each window asked for once (no stored copy reused), the slowest run of each length
 * held to half the media budget.
 */
export async function runClip(options: BenchOptions): Promise<ScenarioResult> {
  const lengths = options.quick ? [30, 300] : [30, 60, 120, 300, 600, LONGEST_ASKED_SECONDS];
  const repeats = options.quick ? 1 : 3;
  const stack = await startLocalStack({
    ports: 0,
    stateDir: join(options.workDir, 'clip-state'),
    emulator: { quotas: liftedQuotas() },
    env: {
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      POWERTOOLS_METRICS_DISABLED: 'true',
      CLIP_MAX_SECONDS: String(LONGEST_ASKED_SECONDS),
    },
  });
  try {
    const token = stack.mintToken({ sub: 'alice' });
    const url = `${stack.apiUrl}/v1/streams/${STREAM}/clip-url`;
    // Windows from 23 h ago forward, one per run, on 10 s boundaries: never the same clip twice.
    let cursor = Math.floor((Date.now() - 23 * 3600_000) / 10_000) * 10_000;
    const ask = async (seconds: number): Promise<Run> => {
      const start = cursor;
      cursor += (seconds + 10) * 1000;
      const body = JSON.stringify({
        start: new Date(start).toISOString(),
        end: new Date(start + seconds * 1000 - 1).toISOString(),
      });
      const began = performance.now();
      const response = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
      });
      const answer = (await response.json()) as { bytes?: number; error?: { code: string } };
      const ms = performance.now() - began;
      if (response.status !== 200) {
        throw new Error(`clip of ${seconds} s: ${response.status} ${answer.error?.code ?? ''}`);
      }
      return { seconds, ms, bytes: answer.bytes ?? 0 };
    };

    await ask(10); // warms the media function's instance (JIT, secret, grants, endpoint cache)
    const runs: Run[] = [];
    for (const seconds of lengths) {
      for (let index = 0; index < repeats; index += 1) runs.push(await ask(seconds));
    }

    const budgetShare = DEFAULT_MEDIA_BUDGET_MS * FIT_SHARE;
    const slowest = (seconds: number): number =>
      Math.max(...runs.filter((run) => run.seconds === seconds).map((run) => run.ms));
    const fitting = lengths.filter((seconds) => slowest(seconds) <= budgetShare);
    const longestFitting = fitting.length > 0 ? Math.max(...fitting) : 0;
    const last = lengths[lengths.length - 1]!;
    const perClipSecond = slowest(last) / last;
    const lastBytes = runs.find((run) => run.seconds === last)!.bytes;
    const perMegabyte = slowest(last) / (lastBytes / 1024 / 1024);
    // A clip costs by its bytes: the largest clip allowed, whatever the camera.
    const largestClipMs = MEDIA_DEFAULTS.maxClipMegabytes * perMegabyte;
    const fittingMegabytes = budgetShare / perMegabyte;
    const bytesPerSecond =
      runs.reduce((sum, run) => sum + run.bytes, 0) / runs.reduce((s, r) => s + r.seconds, 0);
    const figures: Figure[] = [
      ...lengths.flatMap((seconds): Figure[] => {
        const times = runs.filter((run) => run.seconds === seconds).map((run) => run.ms);
        const mb = runs.find((run) => run.seconds === seconds)!.bytes / 1024 / 1024;
        return [
          {
            name: `${seconds} s clip (${mb.toFixed(1)} MB): p50`,
            value: percentile(times, 50),
            unit: 'ms',
            digits: 0,
          },
          { name: `${seconds} s clip: slowest`, value: Math.max(...times), unit: 'ms', digits: 0 },
        ];
      }),
      {
        name: `longest measured clip whose slowest run fits ${FIT_SHARE * 100} % of the ${DEFAULT_MEDIA_BUDGET_MS / 1000} s budget`,
        value: longestFitting,
        unit: 's',
        digits: 0,
      },
      { name: 'time per second of clip (longest)', value: perClipSecond, unit: 'ms', digits: 1 },
      { name: 'time per MB of clip (longest)', value: perMegabyte, unit: 'ms', digits: 1 },
      {
        name: `largest clip allowed (${MEDIA_DEFAULTS.maxClipMegabytes} MB), at that rate`,
        value: largestClipMs,
        unit: 'ms',
        digits: 0,
      },
      {
        name: `MB of clip that fit ${FIT_SHARE * 100} % of the budget, at that rate`,
        value: fittingMegabytes,
        unit: 'MB',
        digits: 0,
      },
      { name: 'fixture media rate', value: (bytesPerSecond * 8) / 1e6, unit: 'Mbit/s', digits: 2 },
    ];
    return {
      id: 'clip',
      title: '8. Clip duration',
      figures,
      notes: [
        `POST /v1/streams/${STREAM}/clip-url as alice through the local stack, ${repeats} run(s) per length, each a window never asked before (no stored copy); CLIP_MAX_SECONDS raised to ${LONGEST_ASKED_SECONDS} for the run; emulator quotas lifted. A clip should fit in half of the media budget (MEDIA_BUDGET_MS ${DEFAULT_MEDIA_BUDGET_MS}; the function's timeout is 28 s, API Gateway's 29 s): the other half is margin for KVS, whose GetClip over the network is slower than the emulator on loopback and cannot be measured here.`,
        `At the measured ${perClipSecond.toFixed(1)} ms per clip second, the whole budget would hold ${Math.floor(DEFAULT_MEDIA_BUDGET_MS / perClipSecond)} s of this fixture; a clip costs by its bytes (fetched, joined, stored), not its length: the largest clip allowed (CLIP_MAX_MEGABYTES ${MEDIA_DEFAULTS.maxClipMegabytes} MB, KVS's own limit of one GetClip answer) takes about ${Math.round(largestClipMs)} ms at the measured ${perMegabyte.toFixed(1)} ms per MB, and ${Math.round(fittingMegabytes)} MB would fit half the budget. A ${DEFAULT_MAX_CLIP_SECONDS} s clip is 75 MB from a 2 Mbit/s camera; a longer range, or one holding more than ${MEDIA_DEFAULTS.maxClipMegabytes} MB, is refused with 400 naming the limit, before GetClip. Absolute times are reported, not gated: they follow this machine's load.`,
      ],
      details: { runs },
    };
  } finally {
    await stack.stop();
  }
}
