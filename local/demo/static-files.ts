import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';

const REPO_ROOT = resolve(__dirname, '..', '..');
const WEB_ROOT = resolve(__dirname, 'web');

/** The only files served besides the API: a fixed list, so no request path ever reaches the disk. */
const STATIC_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: join(WEB_ROOT, 'index.html'), type: 'text/html; charset=utf-8' },
  '/index.html': { file: join(WEB_ROOT, 'index.html'), type: 'text/html; charset=utf-8' },
  '/demo/app.js': { file: join(WEB_ROOT, 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/demo/style.css': { file: join(WEB_ROOT, 'style.css'), type: 'text/css; charset=utf-8' },
  // Browsers ask for /favicon.ico whatever the page says; both names answer the page's icon.
  '/favicon.svg': { file: join(WEB_ROOT, 'favicon.svg'), type: 'image/svg+xml' },
  '/favicon.ico': { file: join(WEB_ROOT, 'favicon.svg'), type: 'image/svg+xml' },
  '/vendor/hls.min.js': {
    file: join(REPO_ROOT, 'node_modules', 'hls.js', 'dist', 'hls.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  '/vendor/dash.all.min.js': {
    file: join(REPO_ROOT, 'node_modules', 'dashjs', 'dist', 'modern', 'umd', 'dash.all.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
};

/** The demo page's settings of this stack (JSON: `sessionLifetimeScale`), made at start. */
export const DEMO_CONFIG_PATH = '/demo/config.json';

/** A file made at start rather than read from disk (the client package bundled for the page). */
export interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

export interface StaticFiles {
  /** Answers a GET of one of the demo page's files; false for any other path. */
  serve(path: string, response: ServerResponse): boolean;
}

/**
 * The demo page and the players it loads. The page's own files are read on every request, so an edit
 * shows on reload; the players from node_modules are read once.
 */
export function createStaticFiles(assets: Readonly<Record<string, Asset>> = {}): StaticFiles {
  const cache = new Map<string, Buffer>();
  return {
    serve(path, response) {
      const asset = Object.hasOwn(assets, path) ? assets[path] : undefined;
      if (asset) {
        response.writeHead(200, {
          'Content-Type': asset.type,
          'Content-Length': asset.body.length,
          'Cache-Control': 'no-cache',
          'X-Content-Type-Options': 'nosniff',
        });
        response.end(asset.body);
        return true;
      }
      const entry = Object.hasOwn(STATIC_FILES, path) ? STATIC_FILES[path] : undefined;
      if (!entry) return false;
      let content = cache.get(entry.file);
      if (!content) {
        content = readFileSync(entry.file);
        if (entry.file.includes('node_modules')) cache.set(entry.file, content);
      }
      response.writeHead(200, {
        'Content-Type': entry.type,
        'Content-Length': content.length,
        'Cache-Control': 'no-cache',
        'X-Content-Type-Options': 'nosniff',
      });
      response.end(content);
      return true;
    },
  };
}
