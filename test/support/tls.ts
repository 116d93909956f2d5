// A self-signed certificate made now with openssl, for loopback TLS stand-ins.
// Undefined when openssl is missing (callers say so and skip TLS).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCert {
  readonly key: Buffer;
  readonly cert: Buffer;
}

export function selfSignedCert(names: readonly string[] = ['localhost']): TestCert | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'eas-cert-'));
  try {
    const san = ['IP:127.0.0.1', ...names.map((n) => `DNS:${n}`)].join(',');
    const made = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        `/CN=${names[0] ?? 'localhost'}`,
        '-addext',
        `subjectAltName=${san}`,
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { encoding: 'utf8' },
    );
    if (made.status !== 0) return undefined;
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
