// ESLint for the editor: JavaScript's and typescript-eslint's recommended rules (without
// type information, to stay fast), and the React hooks rules (the Rules of React, including
// the React Compiler's checks). Run by `npm test` and `npm run lint`.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig([
  globalIgnores(['dist/', 'node_modules/', 'src/api/schema.d.ts']),
  js.configs.recommended,
  tseslint.configs.recommended,
  reactHooks.configs.flat.recommended,
  {
    // Node scripts and this file run in Node, not the browser.
    files: ['scripts/**/*.mjs', '*.config.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    files: ['**/*.{ts,tsx}'],
    rules: {
      // Unused names are already errors in `tsc` (noUnusedLocals/noUnusedParameters),
      // which knows about the `_name` convention the same way.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
]);
