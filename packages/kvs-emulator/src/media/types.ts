/**
 * The contract between the media library (`src/media`) and the KVS emulator (`src/`).
 *
 * A MediaClip is a short piece of real media cut into fragments (one per GOP). The emulator loops it
 * to build a stream's archive; every fragment it serves is produced here with its decode times and
 * sequence numbers rewritten for its place on that continuous timeline.
 */

export interface TrackInfo {
  /** 1 = video (or audio-only track 1), 2 = audio. */
  readonly trackNumber: number;
  readonly kind: 'video' | 'audio';
  /** Matroska codec id as KVS reports it: `V_MPEG/ISO/AVC`, `V_MPEG/ISO/HEVC`, `A_AAC`, `V_MJPEG`. */
  readonly codecId: string;
  /** RFC 6381 codec string for playlists, e.g. `avc1.64001e`, `mp4a.40.2`. */
  readonly codecs: string;
  /** Media timescale of the track (ticks per second). */
  readonly timescale: number;
  readonly width?: number;
  readonly height?: number;
  readonly frameRate?: number;
  readonly sampleRate?: number;
  readonly channels?: number;
}

/**
 * Still pictures of a clip's video, for GetImages: still i shows the frame at `i × intervalMs` from the
 * clip's start and stands for the clip until the next still.
 */
export interface ClipStills {
  readonly intervalMs: number;
  readonly width: number;
  readonly height: number;
  /** Baseline JPEG bytes, one per still, in order. */
  readonly jpegs: readonly Uint8Array[];
}

export interface MediaClip {
  readonly tracks: readonly TrackInfo[];
  /** Duration of each clip fragment in milliseconds (the video GOPs), in order. */
  readonly fragmentDurationsMs: readonly number[];
  /** Peak bits per second over all tracks (for BANDWIDTH in the master playlist). */
  readonly bandwidth: number;
  /**
   * Rendered by the maintainers' fixture script beside the committed clip; absent for a user's own
   * MP4 (nothing decodes video at run time).
   */
  readonly stills?: ClipStills;

  /** Single-track fMP4 init segment (`ftyp` + `moov`) for HLS/DASH. */
  initSegment(trackNumber: number): Uint8Array;

  /**
   * Single-track fMP4 media segment (`moof` + `mdat`) for clip fragment `clipIndex`, with `mfhd`
   * sequence number `sequenceNumber` and `tfdt` set to `startMs` expressed in the track's timescale
   * (plus, for an audio track whose first frame starts after the GOP, that offset: see
   * `loadMp4FileClip`). The samples of a track's fragment last exactly until the next fragment's
   * tfdt, so consecutive fragments, the loop point included, neither overlap nor leave a gap.
   */
  mediaFragment(args: {
    clipIndex: number;
    trackNumber: number;
    sequenceNumber: number;
    startMs: number;
  }): Uint8Array;

  /**
   * MPEG-TS segment holding all tracks of clip fragment `clipIndex`, PTS/DTS/PCR rewritten so that the
   * fragment starts at `startMs` (90 kHz clock, modulo 2^33), and each PID's continuity counters
   * carrying on from the fragment before it on the looping timeline.
   */
  tsFragment(args: {
    clipIndex: number;
    startMs: number;
    /**
     * Position of the fragment on the looping timeline (`clipIndex` is `fragmentIndex` modulo the
     * clip length): consecutive positions get continuous counters, across the loop point too.
     * Default `clipIndex` (the first loop).
     */
    fragmentIndex?: number;
  }): Uint8Array;

  /**
   * A playable MP4 (all tracks: `ftyp` + `moov` + `moof`/`mdat`...) of consecutive fragments, for GetClip.
   */
  clip(fragments: readonly { clipIndex: number; sequenceNumber: number; startMs: number }[]): Uint8Array;
}
