// The console over HTTP: its static shell (built by `npm run build` into
// web/ beside this module, served from memory) and the bridge from a request
// to the API. Credentials, Host and Origin checks stay with the listener
// (adapters/cli/status-server.ts), which calls these.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiAnswer } from './api.js';

/**
 * Every response: no inline script or style can run, nothing may frame the
 * page, nothing is sniffed, no referrer leaves. uPlot styles its elements
 * through the CSSOM, which `style-src 'self'` allows.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

export interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

/** The shell: the same bytes for every installation, no organization data. */
export const SHELL_PATHS: Readonly<Record<string, string>> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/assets/app.js': 'app.js',
  '/assets/app.css': 'app.css',
};

const TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

/** Reads the built shell once; a missing build is an error naming the file (run `npm run build`). */
export function loadAssets(dir: URL = new URL('./web/', import.meta.url)): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const name of Object.keys(TYPES)) {
    const file = new URL(name, dir);
    let body: Buffer;
    try {
      body = readFileSync(file);
    } catch {
      throw new Error(`console asset ${file.pathname} is missing: run npm run build`);
    }
    out.set(name, { type: TYPES[name]!, body });
  }
  return out;
}

/** Largest request body the API reads (a policy document is a few KB). */
const MAX_BODY_BYTES = 256 * 1024;

/** The body as text, or `tooLarge` once it passes `limit` (the rest is not read). */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string | 'tooLarge'> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limit) return resolve('tooLarge');
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        resolve('tooLarge');
        req.pause();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Writes an API answer: JSON, or streamed text (a CSV of 100,000 rows is written as it is made). */
export function writeAnswer(res: ServerResponse, a: ApiAnswer, base: Record<string, string>, head: boolean): void {
  if (res.headersSent || res.destroyed) return;
  if (a.text !== undefined && typeof a.text !== 'string') {
    res.writeHead(a.status, { ...base, ...a.headers });
    if (head) return void res.end();
    const it = a.text[Symbol.iterator]();
    const pump = () => {
      for (;;) {
        const n = it.next();
        if (n.done) return void res.end();
        if (!res.write(n.value)) return void res.once('drain', pump);
      }
    };
    pump();
    return;
  }
  const body = a.text ?? JSON.stringify(a.json, null, 1) + '\n';
  res.writeHead(a.status, {
    ...base,
    'content-type': 'application/json',
    ...a.headers,
    'content-length': String(Buffer.byteLength(body)),
  });
  res.end(head ? undefined : body);
}
