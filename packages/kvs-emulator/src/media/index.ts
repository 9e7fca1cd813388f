/**
 * The media library of the local KVS emulator: real H.264 (+ AAC) clips cut into fragments whose
 * timestamps and sequence numbers are rewritten for their place on a stream's timeline.
 */
export type { ClipStills, MediaClip, TrackInfo } from './types';
export { loadFixtureClip, readFixtureManifest, fixturePath, FIXTURES_DIR } from './fixture-clip';
export { loadMp4FileClip, mp4BytesToClip } from './mp4-file-clip';
