/**
 * `switchyard validate [--no-env] FILE`: every error as `file:line:col: path: message` (exit 1), or a
 * summary of what the config defines (exit 0). Warnings are printed and do not fail. Key values are
 * never printed. `--no-env` checks structure and references without the environment, for CI that
 * validates a production file without its secrets.
 */
import { parseArgs } from 'node:util';
import type { Config } from '../config/schema.js';
import { formatIssue, loadConfigFile } from '../config/loader.js';

export interface CommandIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

const synopsis = 'usage: switchyard validate [--no-env] FILE\n';

export const validateUsage = `${synopsis}
Checks a Switchyard config file: YAML syntax, the schema (unknown keys, types, ranges), references
between its parts (a route naming an unknown deployment, a deployment naming an unknown provider...)
and the environment variables it reads. Every problem is printed once, on stderr, as
  FILE:LINE:COL: dotted.path: message
and all of them in one run. Warnings (e.g. a secret written into the file instead of a \${VAR}
reference) are printed as "warning: ..." and do not fail. A valid file gets a summary on stdout.

options:
  --no-env     do not read the environment: every \${VAR} counts as set to a value its place accepts,
               so structure and references are checked without the secrets (CI); missing variables
               and values that come from the environment are not checked, and the output says so
  -h, --help   show this help

exit codes:
  0  valid (warnings may have been printed)
  1  the file has errors, or cannot be read
  2  usage error: no file, more than one, or an unknown option
`;

function usageError(io: CommandIO, message: string): number {
  io.stderr.write(`switchyard validate: ${message}\n${synopsis}run 'switchyard validate --help' for its options.\n`);
  return 2;
}

export async function runValidateCommand(argv: string[], io: CommandIO = process): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { 'no-env': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    // parseArgs's hint about `--` is noise here: a config file name does not start with '-'.
    return usageError(io, (err as Error).message.replace(/\. To specify a positional argument[\s\S]*$/, ''));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(validateUsage);
    return 0;
  }
  if (positionals.length !== 1) return usageError(io, positionals.length === 0 ? 'no config file given' : 'give exactly one config file');
  const file = positionals[0]!;
  const noEnv = values['no-env'] === true;
  const result = loadConfigFile(file, process.env, { assumeEnvSet: noEnv });
  const envNote = noEnv ? envNotChecked(result.assumedSet) : '';

  for (const w of result.warnings) io.stderr.write(`warning: ${formatIssue(w)}\n`);
  if (!result.ok) {
    for (const issue of result.errors) io.stderr.write(`${formatIssue(issue)}\n`);
    io.stderr.write(`${file}: ${result.errors.length} error(s)${noEnv ? `; ${envNote}` : ''}\n`);
    return 1;
  }
  io.stdout.write(summary(file, result.config, envNote));
  return 0;
}

function envNotChecked(assumed: readonly string[]): string {
  if (assumed.length === 0) return 'environment not checked (--no-env)';
  return `environment not checked (--no-env): ${assumed.length} variable(s) assumed set: ${assumed.join(', ')}`;
}

function summary(file: string, c: Config, envNote: string): string {
  const lines = [envNote === '' ? `${file}: valid` : `${file}: valid; ${envNote}`];
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
    const canary = r.canary
      ? `; canary: ${r.canary.targets.join(', ')} at ${r.canary.ramp ? r.canary.ramp.map((s) => `${s.percent}`).join('→') : r.canary.percent} %${r.canary.guard === false ? ', no guard' : ''}${r.canary.gate ? `, gate ${r.canary.gate}` : ''}`
      : '';
    const shadow = r.shadow ? `; shadow: ${r.shadow.target} at ${r.shadow.percent} %` : '';
    lines.push(
      `    ${name} (${r.strategy}): ${r.targets.join(', ')}${r.fallbacks.length ? `; fallbacks: ${r.fallbacks.join(', ')}` : ''}${canary}${shadow}`,
    );
  }
  if (Object.keys(c.simulators).length > 0) lines.push(`  simulators: ${Object.keys(c.simulators).join(', ')}`);
  for (const [provider, entry] of Object.entries(c.passthrough ?? {}))
    lines.push(`  passthrough ${provider}: /passthrough/${provider}{${entry.paths.join(', ')}}`);
  lines.push(`  client keys: ${c.keys.length === 0 ? 'none (the gateway accepts any key)' : c.keys.length}`);
  return `${lines.join('\n')}\n`;
}
