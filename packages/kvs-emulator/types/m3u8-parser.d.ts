declare module 'm3u8-parser' {
  export interface M3u8Segment {
    uri: string;
    duration: number;
    discontinuity?: boolean;
    dateTimeString?: string;
    programDateTime?: number;
    timeline: number;
    map?: { uri: string };
  }
  export interface M3u8Variant {
    uri: string;
    attributes: {
      BANDWIDTH?: number;
      CODECS?: string;
      RESOLUTION?: { width: number; height: number };
      'FRAME-RATE'?: number;
      AUDIO?: string;
    };
  }
  export interface M3u8Manifest {
    version?: number;
    targetDuration?: number;
    mediaSequence?: number;
    discontinuitySequence?: number;
    independentSegments?: boolean;
    playlistType?: string;
    endList?: boolean;
    discontinuityStarts: number[];
    segments: M3u8Segment[];
    playlists?: M3u8Variant[];
    mediaGroups?: { AUDIO?: Record<string, Record<string, { uri?: string; default?: boolean }>> };
  }
  export class Parser {
    manifest: M3u8Manifest;
    push(chunk: string): void;
    end(): void;
  }
}
