/**
 * Writes config/switchyard.schema.json from the zod schema (`npm run schema`), so editors can
 * autocomplete and check switchyard.yaml. A test fails when the committed file is stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { configSchema } from './schema.js';

export const schemaPath = fileURLToPath(new URL('./switchyard.schema.json', import.meta.url));

export function generateConfigJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Switchyard gateway configuration',
    description:
      'switchyard.yaml: providers, deployments, routes and keys. ${VAR} and ${VAR:-default} are read from the environment when the file loads.',
    ...Object.fromEntries(Object.entries(generated).filter(([k]) => k !== '$schema')),
  };
}

export function renderConfigJsonSchema(): string {
  return `${JSON.stringify(generateConfigJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(schemaPath, renderConfigJsonSchema());
  console.log(`wrote ${schemaPath}`);
}
