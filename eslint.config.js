// Lint: correctness rules that need types, and the layering the architecture
// depends on (docs/architecture.md): the core and the projections are pure,
// adapters never reach into the CLI, and adapters share code only through
// the declared shared modules: adapters/shared/ and the decoders of Exchange
// and Graph data in adapters/exports/ (the CLI composes every adapter and is
// the exception).
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = [
  'assert',
  'buffer',
  'child_process',
  'crypto',
  'dns',
  'events',
  'fs',
  'fs/promises',
  'http',
  'https',
  'net',
  'os',
  'path',
  'process',
  'readline',
  'stream',
  'tls',
  'url',
  'util',
  'worker_threads',
  'zlib',
];
const ADAPTERS = [
  'cli',
  'console',
  'eventstoredb',
  'ews',
  'exports',
  'file-store',
  'graph',
  'log',
  'memory-store',
  'powershell',
  'simulator',
  'smtp',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tools/**', 'eslint.config.js'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      // `typeof import('…')` stays allowed: the generated gRPC modules are CommonJS, loaded with createRequire.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      'no-debugger': 'error',
      'no-var': 'error',
      'prefer-const': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // Tests read parsed JSON outputs field by field.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The pure core and the projections: no I/O, no adapter.
    files: ['src/**/*.ts', 'projections/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: NODE_BUILTINS.map((name) => ({ name, message: 'the core is pure: no Node I/O (pass it in through a port)' })),
          patterns: [
            { group: ['node:*'], message: 'the core is pure: no Node I/O (pass it in through a port)' },
            { group: ['**/adapters/**'], message: 'the core never depends on an adapter' },
          ],
        },
      ],
      'no-restricted-globals': ['error', { name: 'process', message: 'the core reads no environment' }],
      // Parsing and formatting dates is pure; reading the clock or a random source is not.
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'time comes in as an argument (a clock port)',
        },
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'time comes in as an argument (a clock port)' },
        {
          selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
          message: 'randomness and ids come in as arguments',
        },
      ],
    },
  },
  {
    // The console's browser code builds the page from device values chosen by whoever holds the phone:
    // text nodes only, never HTML from strings.
    files: ['adapters/console/web/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'MemberExpression[property.name=/^(innerHTML|outerHTML|insertAdjacentHTML|srcdoc)$/]',
          message: 'device values are text: build elements with dom.ts (h, text nodes), never HTML',
        },
        {
          selector: "CallExpression[callee.object.name='document'][callee.property.name=/^(write|writeln)$/]",
          message: 'device values are text: build elements with dom.ts (h, text nodes), never HTML',
        },
        { selector: "CallExpression[callee.name='eval'], NewExpression[callee.name='Function']", message: 'no code from strings' },
      ],
    },
  },
  ...ADAPTERS.filter((a) => a !== 'cli').map((a) => ({
    // An adapter uses the core, the projections and adapters/shared/, never the CLI or another adapter's insides.
    files: [`adapters/${a}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^\\.\\./cli/', message: 'adapters never import the CLI' },
            {
              regex: `^\\.\\./(?!shared/|exports/|${a}/)(${ADAPTERS.filter((x) => x !== 'cli').join('|')})/`,
              message: 'adapters share code only through adapters/shared/ and adapters/exports/',
            },
          ],
        },
      ],
    },
  })),
);
