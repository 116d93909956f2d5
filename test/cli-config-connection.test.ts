// The config file's exchange.connection (kind "powershell"): "remote" by default,
// or "module" with a path, resolved from the config file's folder; anything else
// is an error naming the field.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfig } from '../adapters/cli/config.js';

function withConfig(exchange: object, fn: (path: string, dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eas-config-'));
    const path = join(dir, 'config.json');
    writeFileSync(
      path,
      JSON.stringify({
        organization: 'contoso',
        store: 'events.ndjson',
        policy: 'policy.json',
        exchange: { kind: 'powershell', cas: 'cas01.contoso.com', ...exchange },
        intune: { kind: 'graph', tokenEnv: 'GRAPH_TOKEN' },
      }),
    );
    try {
      await fn(path, dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  "a module connection's path is resolved from the config file's folder",
  withConfig({ connection: { kind: 'module', path: 'lab/ExchangeStandIn.psm1' } }, async (path, dir) => {
    const c = await readConfig(path);
    assert.equal(c.exchange.kind === 'powershell' ? c.exchange.connection : undefined, {
      kind: 'module',
      path: join(dir, 'lab/ExchangeStandIn.psm1'),
    });
  }),
);

test(
  'a remote connection and no connection are accepted as they are',
  withConfig({ connection: { kind: 'remote' } }, async (path) => {
    const c = await readConfig(path);
    assert.equal(c.exchange.kind === 'powershell' ? c.exchange.connection : undefined, { kind: 'remote' });
  }),
);

test('an unknown connection kind, a module without a path or an extra key is an error naming exchange.connection', async () => {
  for (const connection of [{ kind: 'ssh' }, { kind: 'module' }, { kind: 'module', path: 'x.psm1', extra: 1 }]) {
    await withConfig({ connection }, async (path) => {
      let message = '';
      try {
        await readConfig(path);
      } catch (e) {
        message = (e as Error).message;
      }
      assert.match(message, /exchange\.connection/, `${JSON.stringify(connection)}: ${message}`);
      assert.ok(message.includes(path), 'the file is named');
    })();
  }
});

test.run();
