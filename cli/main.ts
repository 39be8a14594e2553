/**
 * The `switchyard` command: `start`, `validate`, `sim`. Each subcommand lives in its own file and
 * returns an exit code.
 */
import { runStartCommand } from './start.js';
import { runValidateCommand } from './validate.js';
import { runSimCommand } from './sim.js';

const usage = `usage: switchyard <command> [options]

commands:
  start [--config FILE] [--port N]   serve the gateway (default: the embedded demo config)
  validate FILE                      check a config file; every error as file:line:col
  sim --kind openai|vllm [...]       run an upstream simulator (see: switchyard sim --help)

environment: SWITCHYARD_CONFIG, PORT, LOG_LEVEL; secrets only through \${VAR} references in the config.
`;

const commands: Record<string, (argv: string[]) => Promise<number>> = {
  start: runStartCommand,
  validate: runValidateCommand,
  sim: runSimCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`switchyard: unknown command '${name}'\n\n${usage}`);
    return 2;
  }
  try {
    return await command(rest);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (
      code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
      code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' ||
      code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL'
    ) {
      process.stderr.write(`switchyard ${name}: ${(err as Error).message}\n`);
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
