import { existsSync, readFileSync } from 'node:fs';

// From the sources (cli/) the package file is one level up; from the build (dist/cli/) two.
const candidates = [new URL('../package.json', import.meta.url), new URL('../../package.json', import.meta.url)];
const file = candidates.find((u) => existsSync(u)) ?? candidates[0]!;

/** The package version, read once at startup. */
export const version: string = (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
