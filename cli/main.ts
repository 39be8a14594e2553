/**
 * The `switchyard` command: `start`, `validate`, `sim`, `eval`, plus `--version` and `--help`. Each subcommand
 * lives in its own file, returns an exit code, and is loaded only when it runs, so `--version` and
 * `--help` answer without loading the gateway.
 *
 * Conventions every subcommand keeps: help goes to stdout with exit 0; a usage error (unknown option,
 * bad value) goes to stderr with a usage hint and exit 2.
 */
import { version } from './version.js';

interface Command {
  summary: string;
  load: () => Promise<(argv: string[]) => Promise<number>>;
}

// Options are listed by each command's own --help only, so this list never goes stale beside them.
const commands: Record<string, Command> = {
  start: {
    summary: 'serve the gateway (default: the embedded demo config)',
    load: async () => (await import('./start.js')).runStartCommand,
  },
  validate: {
    summary: 'check a config file; every error as file:line:col',
    load: async () => (await import('./validate.js')).runValidateCommand,
  },
  sim: {
    summary: 'run an upstream simulator (OpenAI or vLLM wire format) with a fault API',
    load: async () => (await import('./sim.js')).runSimCommand,
  },
  eval: {
    summary: 'run an eval suite against a route, stable and canary side by side',
    load: async () => (await import('./eval.js')).runEvalCommand,
  },
};

const usage = `usage: switchyard <command> [options]
       switchyard --version | --help

commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(10)}${c.summary}`)
  .join('\n')}

options:
  -h, --help      show this help; \`switchyard <command> --help\` shows a command's options
  -v, --version   print the version

environment: SWITCHYARD_CONFIG, HOST, PORT, LOG_LEVEL, REDIS_URL; secrets only through \${VAR} references in the config.
`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(usage);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    // `switchyard help start` is `switchyard start --help`.
    const topic = name === 'help' && rest[0] !== undefined ? commands[rest[0]] : undefined;
    if (topic) return (await topic.load())(['--help']);
    if (name === 'help' && rest[0] !== undefined) {
      process.stderr.write(`switchyard: unknown command '${rest[0]}'\n\n${usage}`);
      return 2;
    }
    process.stdout.write(usage);
    return 0;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`switchyard: unknown ${name.startsWith('-') ? 'option' : 'command'} '${name}'\n\n${usage}`);
    return 2;
  }
  const run = await command.load();
  try {
    return await run(rest);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    // Subcommands that parse with node:util parseArgs let its errors (ERR_PARSE_ARGS_*) through: usage errors.
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`switchyard ${name}: ${(err as Error).message}\nrun 'switchyard ${name} --help' for usage.\n`);
      return 2;
    }
    if (code === 'EADDRINUSE') {
      process.stderr.write(`switchyard: the port is already in use (${(err as Error).message}); pass --port or set PORT.\n`);
      return 1;
    }
    throw err;
  }
}

process.exit(await main(process.argv.slice(2)));
