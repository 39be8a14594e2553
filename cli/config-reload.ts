/**
 * One reload of the config file, whoever asks for it: the directory watch (cli/config-watch.ts), SIGHUP
 * and POST /admin/reload share `reloadNow`. It reads the file, validates it and builds the new Runtime
 * before anything changes; only then does `apply` swap it in, synchronously, so a request sees either
 * the old config or the new one. A file with errors, or one no Runtime can be built from, changes
 * nothing: every error is logged with file:line:col, counted, and handed back to the caller.
 */
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { formatIssue, loadConfigFile, loadConfigText } from '../config/loader.js';
import type { Config } from '../config/schema.js';
import type { ReloadOutcome } from '../routes/deps.js';
import type { TelemetrySink } from '../telemetry/sink.js';

export interface ConfigReloader {
  /**
   * Reads the file and applies it when its text changed since the last read, or in any case with
   * `force` (SIGHUP, POST /admin/reload: an operator who asks gets a reload).
   */
  reloadNow(force?: boolean): ReloadOutcome;
}

export interface ConfigReloaderOptions {
  path: string;
  /** The config the process started with: the sections bound at start are compared with it. */
  started: Config;
  /** Builds a Runtime from the config and swaps it in; throws when it cannot be built. */
  apply: (config: Config) => void;
  logger: Logger;
  telemetry: TelemetrySink;
}

/** Settings bound when the process starts: a change to them is reported as needing a restart. */
const restartOnly = ['server', 'redis', 'simulators'] as const;

export function createConfigReloader({ path, started, apply, logger, telemetry }: ConfigReloaderOptions): ConfigReloader {
  let lastText = readText(path);

  const refused = (outcome: ReloadOutcome & { result: 'invalid' | 'build_failed' }): ReloadOutcome => {
    telemetry.configReloadFailed();
    if (outcome.result === 'invalid')
      logger.error(
        { path, errors: outcome.errors },
        `config reload refused: ${outcome.errors.length} error(s); still serving the previous config`,
      );
    else logger.error({ path, err: outcome.error }, 'config reload refused: it could not be built; still serving the previous config');
    return outcome;
  };

  return {
    reloadNow(force = false) {
      const text = readText(path);
      // Unforced, an unreadable file is a swap in progress (a rename, a re-pointed symlink): the next event sees it.
      if (!force && (text === undefined || text === lastText)) return { result: 'unchanged' };
      // Remembered even when refused, so that one broken save is reported once, not on every file event.
      lastText = text;
      const loaded = text === undefined ? loadConfigFile(path) : loadConfigText(text, path);
      if (!loaded.ok) return refused({ result: 'invalid', errors: loaded.errors.map(formatIssue) });
      try {
        apply(loaded.config);
      } catch (err) {
        return refused({ result: 'build_failed', error: (err as Error).message });
      }
      telemetry.configLoaded(true);
      const { config } = loaded;
      const outcome = {
        result: 'reloaded' as const,
        routes: Object.keys(config.routes),
        deployments: Object.keys(config.deployments),
        restartNeeded: restartOnly.filter((k) => !isDeepStrictEqual(started[k], config[k])),
        warnings: loaded.warnings.map(formatIssue),
      };
      for (const warning of outcome.warnings) logger.warn({ path, warning }, 'config warning');
      logger.info({ path, routes: outcome.routes.length, deployments: outcome.deployments.length }, 'config reloaded');
      if (outcome.restartNeeded.length > 0)
        logger.warn(
          { path, sections: outcome.restartNeeded },
          `changes to ${outcome.restartNeeded.join(', ')} take effect only after a restart`,
        );
      return outcome;
    },
  };
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
