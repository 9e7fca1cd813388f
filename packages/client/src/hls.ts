import type { ActiveSession, PlaybackSession } from './playback-session.js';
import { HlsSequenceMap, SessionRouter } from './session-routing.js';

/* The few parts of hls.js this adapter touches, typed structurally so the package needs no hls.js types. */

interface HlsLoaderContext {
  url: string;
  type?: string;
}
interface HlsLoaderResponse {
  url: string;
  data?: unknown;
}
interface HlsLoaderCallbacks {
  onSuccess(response: HlsLoaderResponse, stats: unknown, context: HlsLoaderContext, details: unknown): void;
  onError(
    error: { code: number; text: string },
    context: HlsLoaderContext,
    details: unknown,
    stats: unknown,
  ): void;
  [other: string]: unknown;
}
interface HlsLoader {
  context: unknown;
  stats: { aborted: boolean };
  load(context: HlsLoaderContext, config: unknown, callbacks: HlsLoaderCallbacks): void;
  abort(): void;
  destroy(): void;
  getCacheAge?: () => number | null;
  getResponseHeader?: (name: string) => string | null;
}
type HlsLoaderClass = new (config: unknown) => HlsLoader;

export interface HlsInstance<Media> {
  loadSource(url: string): void;
  attachMedia(media: Media): void;
  destroy(): void;
}

export interface HlsClass<Instance> {
  new (config?: Record<string, unknown>): Instance;
  DefaultConfig: { loader: unknown };
}

export interface PlayWithHlsOptions {
  /** Passed to `new Hls(...)`; its `loader` is wrapped, not replaced. */
  config?: Record<string, unknown>;
}

export interface HlsPlayback<Instance> {
  hls: Instance;
  /** Stops following the session and destroys the hls.js instance (the session itself keeps running). */
  destroy(): void;
}

/**
 * Plays a playback session with hls.js. Every request of the player goes to the newest session (its data
 * endpoint and token), and the media playlists of a new session are renumbered into the player's sequence,
 * so a renewal never reloads the source: playback neither restarts nor rewinds. A 403 from KVS renews at
 * once and the refused request is sent again on the fresh session.
 */
export async function playWithHls<Media, Instance extends HlsInstance<Media>>(
  Hls: HlsClass<Instance>,
  session: PlaybackSession,
  media: Media,
  options: PlayWithHlsOptions = {},
): Promise<HlsPlayback<Instance>> {
  const first = await session.ready();
  const router = new SessionRouter();
  const follow = (active: ActiveSession): void => {
    router.add(active);
    router.switchTo(active.generation);
  };
  follow(first);
  const unsubscribe = session.subscribe((event) => {
    if (event.type === 'vended' && session.current) follow(session.current);
  });
  const BaseLoader = (options.config?.loader ?? Hls.DefaultConfig.loader) as HlsLoaderClass;
  const loader = sessionLoader(BaseLoader, router, new HlsSequenceMap(), session);
  const hls = new Hls({ ...options.config, loader });
  hls.loadSource(first.url);
  hls.attachMedia(media);
  return {
    hls,
    destroy() {
      unsubscribe();
      hls.destroy();
    },
  };
}

const TRACK_NUMBER = /[?&]TrackNumber=(\d+)/;

function sessionLoader(
  BaseLoader: HlsLoaderClass,
  router: SessionRouter,
  sequences: HlsSequenceMap,
  session: PlaybackSession,
): HlsLoaderClass {
  return class SessionLoader implements HlsLoader {
    private inner: HlsLoader;
    private aborted = false;

    constructor(private readonly config: unknown) {
      this.inner = new BaseLoader(config);
    }

    get context(): unknown {
      return this.inner.context;
    }

    get stats(): { aborted: boolean } {
      return this.inner.stats;
    }

    load(context: HlsLoaderContext, loadConfig: unknown, callbacks: HlsLoaderCallbacks): void {
      const requested = context.url;
      const send = (retry: boolean): void => {
        const url = router.route(requested);
        const generation = router.generationOf(url);
        context.url = url;
        this.inner.load(context, loadConfig, {
          ...callbacks,
          onSuccess: (response, stats, loadedContext, details) => {
            if (typeof response.data === 'string' && generation !== undefined) {
              const track = TRACK_NUMBER.exec(url)?.[1] ?? '1';
              response.data = sequences.rewrite(response.data, track, generation);
            }
            callbacks.onSuccess(response, stats, loadedContext, details);
          },
          onError: (error, failedContext, details, stats) => {
            if (error.code !== 403 || retry || this.aborted) {
              callbacks.onError(error, failedContext, details, stats);
              return;
            }
            // Refused by KVS: the session expired or was cut. Renew and send the same request once more.
            void session.renew('player-refused', generation).then((fresh) => {
              if (this.aborted) return;
              if (!fresh) {
                callbacks.onError(error, failedContext, details, stats);
                return;
              }
              this.inner.destroy();
              this.inner = new BaseLoader(this.config);
              send(true);
            });
          },
        });
      };
      send(false);
    }

    abort(): void {
      this.aborted = true;
      this.inner.abort();
    }

    destroy(): void {
      this.aborted = true;
      this.inner.destroy();
    }

    getCacheAge(): number | null {
      return this.inner.getCacheAge?.() ?? null;
    }

    getResponseHeader(name: string): string | null {
      return this.inner.getResponseHeader?.(name) ?? null;
    }
  };
}
