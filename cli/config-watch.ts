/**
 * Hot reload of the config file. The file's directory is watched, not the file: an editor that saves
 * by rename, and Kubernetes, which updates a mounted ConfigMap by re-pointing a `..data` symlink, both
 * replace the file, and a watch on the file itself goes deaf after the first such swap. SIGHUP reloads
 * too. A change is applied only when the text changed and the new config loads cleanly and builds;
 * otherwise every error is logged with file:line:col and the gateway keeps serving the config it has.
 * Settings bound at start (`server`, `redis`, `simulators`) take a restart: a reload says so.
 */
import { watch, readFileSync, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { formatIssue, loadConfigFile } from '../config/loader.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../telemetry/logger.js';

export interface ConfigWatch {
  /** Reads the file now and reloads when it changed, or in any case with `force` (SIGHUP). */
  check(force?: boolean): void;
  stop(): void;
}

const restartOnly = ['server', 'redis', 'simulators'] as const;

export function watchConfig(
  path: string,
  current: () => Config,
  apply: (config: Config) => void,
  logger: Logger,
  options: { debounceMs?: number } = {},
): ConfigWatch {
  let lastText = readText(path);
  let timer: NodeJS.Timeout | undefined;

  const check = (force = false): void => {
    const text = readText(path);
    if (text === undefined || (text === lastText && !force)) return;
    lastText = text;
    const loaded = loadConfigFile(path);
    if (!loaded.ok) {
      logger.error(
        { path, errors: loaded.errors.map(formatIssue) },
        `config reload refused: ${loaded.errors.length} error(s); still serving the previous config`,
      );
      return;
    }
    const before = current();
    const needsRestart = restartOnly.filter((k) => !isDeepStrictEqual(before[k], loaded.config[k]));
    try {
      apply(loaded.config);
    } catch (err) {
      logger.error(
        { path, err: (err as Error).message },
        'config reload refused: it could not be built; still serving the previous config',
      );
      return;
    }
    for (const w of loaded.warnings) logger.warn({ path, warning: formatIssue(w) }, 'config warning');
    logger.info(
      { path, routes: Object.keys(loaded.config.routes).length, deployments: Object.keys(loaded.config.deployments).length },
      'config reloaded',
    );
    if (needsRestart.length > 0) {
      logger.warn({ path, sections: needsRestart }, `changes to ${needsRestart.join(', ')} take effect only after a restart`);
    }
  };

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(path), { persistent: false }, () => {
      clearTimeout(timer);
      timer = setTimeout(() => check(), options.debounceMs ?? 200);
      timer.unref();
    });
    watcher.on('error', (err) => logger.warn({ path, err: err.message }, 'config watch failed: reload with SIGHUP'));
  } catch (err) {
    logger.warn({ path, err: (err as Error).message }, 'cannot watch the config directory: reload with SIGHUP');
  }

  return {
    check,
    stop() {
      clearTimeout(timer);
      watcher?.close();
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
