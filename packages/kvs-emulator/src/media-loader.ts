import { loadFixtureClip, loadMp4FileClip, type MediaClip } from './media/index';
import type { StreamMedia } from './stream-config';
import type { MediaLoader } from './stream-registry';

/** Loads each distinct media setting once: the fixture with or without audio, or a user's MP4 file. */
export function cachingMediaLoader(load: MediaLoader = loadMedia): MediaLoader {
  const cache = new Map<string, Promise<MediaClip>>();
  return (media: StreamMedia) => {
    const key = typeof media === 'string' ? media : `file:${media.source}`;
    let clip = cache.get(key);
    if (!clip) {
      clip = load(media);
      cache.set(key, clip);
    }
    return clip;
  };
}

export function loadMedia(media: StreamMedia): Promise<MediaClip> {
  if (media === 'fixture') return Promise.resolve(loadFixtureClip({ audio: true }));
  if (media === 'fixture-video-only') return Promise.resolve(loadFixtureClip({ audio: false }));
  return loadMp4FileClip(media.source);
}
