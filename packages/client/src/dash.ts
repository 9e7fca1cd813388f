import type { ActiveSession, PlaybackSession } from './playback-session.js';
import { DashNumberMap, SessionRouter } from './session-routing.js';

/* The few parts of dash.js this adapter touches, typed structurally so the package needs no dash.js types. */

interface DashRequest {
  url: string;
}
interface DashResponse {
  status: number;
  data?: unknown;
  request: DashRequest;
}

export interface DashPlayer<Media> {
  initialize(view: Media, url: string, autoPlay: boolean): void;
  addRequestInterceptor(interceptor: (request: never) => Promise<unknown>): void;
  addResponseInterceptor(interceptor: (response: never) => Promise<unknown>): void;
  reset(): void;
}

export interface PlayWithDashOptions {
  /** Start playing as soon as possible. Default true. */
  autoPlay?: boolean;
  /** Default: the platform's `fetch`; used once per renewal to read the new session's manifest. */
  fetch?: typeof fetch;
}

export interface DashPlayback<Player> {
  player: Player;
  /** Stops following the session and resets the player (the session itself keeps running). */
  destroy(): void;
}

const MANIFEST = /\/getDASHManifest\.mpd\?/;

/**
 * Plays a playback session with a dash.js player created by the caller (settings are theirs). Requests go
 * to the newest session through dash.js's request interceptors; before the player is moved to a new
 * session, its manifest is read once so that segment numbers can be translated between the two sessions'
 * numberings. The player never reloads its source: playback neither restarts nor rewinds. A 403 from KVS
 * renews at once and dash.js's own retry goes to the fresh session.
 */
export async function playWithDash<Media, Player extends DashPlayer<Media>>(
  player: Player,
  session: PlaybackSession,
  media: Media,
  options: PlayWithDashOptions = {},
): Promise<DashPlayback<Player>> {
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const first = await session.ready();
  const router = new SessionRouter();
  const numbers = new DashNumberMap();
  router.add(first);
  router.switchTo(first.generation);
  let destroyed = false;
  let preparing: Promise<void> = Promise.resolve();

  /** Reads a new session's manifest to learn its numbering, then moves the player's requests to it. */
  const prepare = async (active: ActiveSession): Promise<void> => {
    router.add(active);
    for (let attempt = 0; attempt < 3 && !destroyed; attempt += 1) {
      try {
        const response = await fetchImpl(active.url);
        if (response.ok) {
          numbers.rewrite(await response.text(), active.generation);
          router.switchTo(active.generation);
          return;
        }
      } catch {
        // Network trouble: try again below; meanwhile the player stays on the session it has.
      }
      await new Promise((resolve) => setTimeout(resolve, 500 * (attempt + 1)));
    }
  };

  const unsubscribe = session.subscribe((event) => {
    if (event.type === 'vended' && session.current && event.generation > first.generation) {
      const active = session.current;
      preparing = preparing.then(() => prepare(active));
    }
  });

  player.addRequestInterceptor(async (request: DashRequest) => {
    await preparing;
    const routed = router.route(request.url);
    const generation = router.generationOf(routed);
    request.url = generation === undefined ? routed : numbers.translate(routed, generation);
    return request;
  });

  player.addResponseInterceptor(async (response: DashResponse) => {
    const url = response.request.url;
    const generation = router.generationOf(url);
    if (response.status === 403 && !destroyed) {
      // Refused by KVS: renew now; dash.js retries the request, and the interceptor above moves it.
      const fresh = await session.renew('player-refused', generation);
      if (fresh && (router.targetGeneration ?? 0) < fresh.generation) {
        // A newer session exists but the player is not on it yet (its manifest could not be read): again.
        preparing = preparing.then(() => prepare(fresh));
      }
      await preparing;
      return response;
    }
    if (response.status === 200 && generation !== undefined && MANIFEST.test(url)) {
      const text = typeof response.data === 'string' ? response.data : decode(response.data);
      if (text !== undefined) response.data = numbers.rewrite(text, generation);
    }
    return response;
  });

  player.initialize(media, first.url, options.autoPlay ?? true);
  return {
    player,
    destroy() {
      destroyed = true;
      unsubscribe();
      player.reset();
    },
  };
}

function decode(data: unknown): string | undefined {
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
  if (ArrayBuffer.isView(data)) {
    return new TextDecoder().decode(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return undefined;
}
