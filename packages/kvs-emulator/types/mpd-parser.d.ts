declare module 'mpd-parser' {
  export interface MpdSegment {
    uri: string;
    resolvedUri: string;
    duration: number;
    number: number;
    timeline: number;
    presentationTime?: number;
    map?: { uri: string; resolvedUri: string };
  }
  export interface MpdPlaylist {
    attributes: {
      NAME?: string;
      BANDWIDTH?: number;
      CODECS?: string;
      RESOLUTION?: { width: number; height: number };
    };
    segments: MpdSegment[];
    endList?: boolean;
    mediaSequence?: number;
    targetDuration?: number;
  }
  export interface MpdManifest {
    playlists: MpdPlaylist[];
    mediaGroups: {
      AUDIO?: Record<string, Record<string, { playlists: MpdPlaylist[] }>>;
    };
    endList?: boolean;
    minimumUpdatePeriod?: number;
    duration?: number;
  }
  export function parse(manifest: string, options?: { manifestUri?: string; NOW?: number }): MpdManifest;
}
