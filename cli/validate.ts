/**
 * `switchyard validate FILE`: every error as `file:line:col: path: message` (exit 1), or a summary of
 * what the config defines (exit 0). Warnings are printed and do not fail. Key values are never printed.
 */
import { formatIssue, loadConfigFile } from '../config/loader.js';

export interface CommandIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export async function runValidateCommand(argv: string[], io: CommandIO = process): Promise<number> {
  const files = argv.filter((a) => !a.startsWith('-'));
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write('usage: switchyard validate FILE\n  Checks a config file; prints every error as file:line:col, or a summary.\n');
    return 0;
  }
  if (files.length !== 1) {
    io.stderr.write('usage: switchyard validate FILE\n');
    return 2;
  }
  const file = files[0]!;
  const result = loadConfigFile(file);
  if (!result.ok) {
    for (const issue of result.errors) io.stderr.write(`${formatIssue(issue)}\n`);
    io.stderr.write(`${file}: ${result.errors.length} error(s)\n`);
    return 1;
  }
  for (const w of result.warnings) io.stderr.write(`warning: ${formatIssue(w)}\n`);
  const c = result.config;
  const lines = [`${file}: valid`];
  lines.push(
    `  providers (${Object.keys(c.providers).length}): ${Object.entries(c.providers)
      .map(([id, p]) => `${id} [${p.type}, ${p.endpoints?.length ?? 1} endpoint(s)]`)
      .join(', ')}`,
  );
  lines.push(
    `  deployments (${Object.keys(c.deployments).length}): ${Object.entries(c.deployments)
      .map(([id, d]) => `${id} -> ${d.provider}/${d.model}`)
      .join(', ')}`,
  );
  lines.push(`  routes (${Object.keys(c.routes).length}):`);
  for (const [name, r] of Object.entries(c.routes)) {
    lines.push(`    ${name} (${r.strategy}): ${r.targets.join(', ')}${r.fallbacks.length ? `; fallbacks: ${r.fallbacks.join(', ')}` : ''}`);
  }
  if (Object.keys(c.simulators).length > 0) lines.push(`  simulators: ${Object.keys(c.simulators).join(', ')}`);
  lines.push(`  client keys: ${c.keys.length === 0 ? 'none (the gateway accepts any key)' : c.keys.length}`);
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
