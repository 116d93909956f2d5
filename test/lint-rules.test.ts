// The layering rules of eslint.config.js catch what they are there for: a
// core that reads the clock or imports Node or an adapter, an adapter that
// reaches into the CLI or another adapter. (Probes are linted as text, never written.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = fileURLToPath(new URL('../..', import.meta.url));
const PROBES = ['src/__probe__.ts', 'projections/__probe__.ts', 'adapters/graph/__probe__.ts', 'adapters/console/web/__probe__.ts'];
const eslint = new ESLint({
  cwd: root,
  overrideConfig: { languageOptions: { parserOptions: { projectService: { allowDefaultProject: PROBES } } } },
});
async function problems(path: string, text: string): Promise<string[]> {
  const [r] = await eslint.lintText(text, { filePath: `${root}${path}` });
  return (r?.messages ?? []).map((m) => `${m.line}:${m.ruleId ?? 'parse'}`);
}

test('the core may not import Node I/O or an adapter, read the clock or draw random numbers', async () => {
  const got = await problems(
    'src/__probe__.ts',
    [
      "import { readFile } from 'node:fs/promises';",
      "import { print } from '../adapters/cli/io.js';",
      'export const stamp = (): number => Date.now() + Math.random() + new Date().getTime();',
      'void readFile; void print;',
      '',
    ].join('\n'),
  );
  assert.equal(got, [
    '1:no-restricted-imports',
    '2:no-restricted-imports',
    '3:no-restricted-syntax',
    '3:no-restricted-syntax',
    '3:no-restricted-syntax',
  ]);
});

test('the core may parse and format dates: only reading the clock is refused', async () => {
  const got = await problems(
    'projections/__probe__.ts',
    'export const iso = (at: string): string => new Date(Date.parse(at)).toISOString();\n',
  );
  assert.equal(got, []);
});

test('an adapter may not import the CLI or another adapter, only the shared modules', async () => {
  const got = await problems(
    'adapters/graph/__probe__.ts',
    [
      "import { print } from '../cli/io.js';",
      "import { smtpNotifier } from '../smtp/index.js';",
      "import { scrub } from '../shared/connection-string.js';",
      "import { decodeText } from '../exports/text.js';",
      'void print; void smtpNotifier; void scrub; void decodeText;',
      '',
    ].join('\n'),
  );
  assert.equal(got, ['1:no-restricted-imports', '2:no-restricted-imports']);
});

test('the console browser code may not build HTML from strings or run strings as code', async () => {
  const got = await problems(
    'adapters/console/web/__probe__.ts',
    [
      'export function show(el: HTMLElement, id: string): void {',
      '  el.innerHTML = id;',
      "  el.insertAdjacentHTML('beforeend', id);",
      '  document.write(id);',
      '  el.textContent = id;',
      '}',
      '',
    ].join('\n'),
  );
  assert.equal(got, ['2:no-restricted-syntax', '3:no-restricted-syntax', '4:no-restricted-syntax']);
});

test.run();
