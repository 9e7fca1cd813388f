declare module 's3rver' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface S3rverOptions {
    /** Logs nothing when true. */
    silent?: boolean;
    /** Folder of the filesystem store. */
    directory?: string;
    resetOnClose?: boolean;
    /** Treat `<bucket>.<host>` requests as virtual-hosted; path style otherwise. */
    vhostBuckets?: boolean;
    configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
  }

  class S3rver {
    constructor(options?: S3rverOptions);
    /** Creates the `configureBuckets` buckets in the store. */
    configureBuckets(): Promise<void>;
    /** The request listener of the Koa app, to mount in one's own server. */
    getMiddleware(): (request: IncomingMessage, response: ServerResponse) => void;
  }

  export = S3rver;
}
