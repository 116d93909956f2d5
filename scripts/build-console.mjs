// Builds the admin console's browser code (adapters/console/web) into
// dist/adapters/console/web/: one minified script, one style sheet, the page.
// Served from the package itself: the machines running the connector have no internet.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';

const src = new URL('../adapters/console/web/', import.meta.url).pathname;
const out = new URL('../dist/adapters/console/web/', import.meta.url).pathname;
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: `${src}app.ts` },
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  outdir: out,
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync(`${src}index.html`, `${out}index.html`);
if (process.argv.includes('--sizes')) {
  const sizes = Object.fromEntries(
    ['index.html', 'app.js', 'app.css'].map((f) => [f, { bytes: statSync(out + f).size, gzip: gzipSync(readFileSync(out + f)).length }]),
  );
  console.log(JSON.stringify(sizes));
}
