// ESLint flat config: the recommended JavaScript and typescript-eslint rules, plus the few this code
// base relies on. Formatting is Prettier's (eslint-config-prettier turns off the rules it owns).
// Type-aware rules (recommendedTypeChecked) are left out on purpose: they need a full type-check per
// lint run, doubling `npm test`'s static phase on a small machine; `tsc --noEmit` runs anyway.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    // Generated or installed trees (the Python readers' venv holds JavaScript of its own).
    ignores: [
      'dist/**',
      'node_modules/**',
      'test/fixtures/**',
      'data/**',
      'coverage/**',
      'out/**',
      '.venv-interop/**',
      '.bench-data/**',
      '.bench-out/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_`-prefixed names are deliberate: an interface's argument a given implementation ignores.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Type-only imports are marked as such (they vanish from the emitted JavaScript).
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // Schemas take zod from src/zod.ts, which configures it for a command-line tool (jitless), as
    // `import * as z`: a named `z` is zod's namespace object, which the CLI's bundle would then build
    // at every start-up (docs/decisions.md, "CLI start-up: zod imported as a module namespace").
    files: ['src/**/*.ts'],
    ignores: ['src/zod.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'zod', message: 'import * as z from src/zod.ts: it configures zod (jitless) once for the tool' },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[source.value=/zod\\.js$/] > ImportSpecifier[imported.name='z']",
          message: "import * as z from src/zod.ts: zod's `z` namespace object costs every start-up ~8 ms in the bundle",
        },
      ],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
