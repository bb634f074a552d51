// ESLint (flat config) over the page's modules in src/: `npm run lint`. The page runs in the
// browser as plain ES modules, with MapLibre GL JS's UMD build as the global `maplibregl`.
import js from '@eslint/js';
import globals from 'globals';

export default [
  js.configs.recommended,
  {
    files: ['src/**/*.js'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.browser, maplibregl: 'readonly' },
    },
    rules: {
      // The page keeps no state on `window`: state is passed explicitly between modules.
      'no-restricted-globals': ['error', { name: 'window', message: 'keep no state on window; use the browser API directly (location, matchMedia) or pass state explicitly' }],
      'no-unused-vars': ['error', { args: 'after-used', caughtErrors: 'none' }],
      eqeqeq: 'error',
      'prefer-const': 'error',
    },
  },
];
