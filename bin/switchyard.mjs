#!/usr/bin/env node
// The `switchyard` command. In a checkout it loads the TypeScript sources through tsx, so that
// `npm install && npm start` needs no build step and never runs a stale build; the Docker image ships
// only the compiled `dist/` and runs that.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'cli', 'main.ts');
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(source).href);
} else {
  await import(pathToFileURL(join(root, 'dist', 'cli', 'main.js')).href);
}
