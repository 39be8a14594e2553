#!/usr/bin/env node
// Runs a TypeScript entry point (benchmarks, schema generation) through tsx: `node bin/run-ts.mjs FILE [args]`.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bin/run-ts.mjs FILE.ts [args...]');
  process.exit(2);
}
process.argv = [process.argv[0], resolve(file), ...rest];
const { register } = await import('tsx/esm/api');
register();
await import(pathToFileURL(resolve(file)).href);
