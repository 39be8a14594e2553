// ESLint flat config. Formatting belongs to Prettier (.prettierrc.json); the layer order to
// dependency-cruiser (.dependency-cruiser.cjs). The rules here are the ones that catch defects.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier/flat';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores([
    'node_modules/',
    'dist/',
    'coverage/',
    '.cache/',
    'bench/results/',
    'config/switchyard.schema.json',
    'test/vendor/',
    'test/fixtures/',
  ]),

  {
    files: ['**/*.{ts,js,mjs,cjs}'],
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    languageOptions: { globals: { ...globals.node } },
  },

  js.configs.recommended,

  // Type-aware: the rules that know a value is a Promise (floating and misused promises) are the ones
  // that find lost errors and unawaited cleanups in a streaming gateway.
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // `void promise` is the explicit "fire and forget"; anything else unhandled is a bug.
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true }],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // `return promise` inside try/catch/finally skips the catch and runs the finally too early.
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      // Off: the code writes `xs[i]!` on purpose (ready for noUncheckedIndexedAccess); the rule would strip it.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // Off: an async function without await is an API shape (it returns a Promise), not a defect.
      '@typescript-eslint/require-await': 'off',
    },
  },

  // Plain JavaScript (bin/, bench/*.mjs, this file): no type information.
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [tseslint.configs.disableTypeChecked],
  },

  {
    files: ['**/*.{ts,js,mjs,cjs}'],
    rules: {
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-var': 'error',
      'prefer-const': 'error',
      'no-self-compare': 'error',
      'no-unreachable-loop': 'error',
      'no-constructor-return': 'error',
      'no-new-native-nonconstructor': 'error',
      'no-return-assign': ['error', 'except-parens'],
    },
  },

  // The service logs JSON lines through telemetry/logger.ts: a stray console call breaks the log stream.
  {
    files: ['{adapters,upstream,config,telemetry,gpu-pool,gateway,routes}/**/*.ts'],
    ignores: ['config/generate-schema.ts'],
    rules: { 'no-console': 'error' },
  },

  // Tests may reach into untyped shapes on purpose (fuzzing, malformed bodies, SDK internals).
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },

  // Turns off any rule that would fight Prettier.
  prettier,

  // After Prettier's config, which turns it off: Prettier wraps code at 140 columns but leaves long
  // comments alone; strings, template literals and URLs stay whole (messages are grep-able).
  {
    files: ['**/*.{ts,js,mjs,cjs}'],
    rules: {
      'max-len': ['error', { code: 140, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true }],
    },
  },
);
