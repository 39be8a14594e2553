/**
 * Hot reload when the config file changes. The file's directory is watched, not the file: an editor
 * that saves by rename, and Kubernetes, which updates a mounted ConfigMap by re-pointing a `..data`
 * symlink, both replace the file, and a watch on the file itself goes deaf after the first such swap.
 * Events are debounced (one save is several events); what a reload does is cli/config-reload.ts's.
 */
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';

export interface ConfigWatch {
  stop(): void;
}

/** Calls `check` once the file's directory has been quiet for `debounceMs` after a change. */
export function watchConfig(path: string, check: () => void, logger: Logger, options: { debounceMs?: number } = {}): ConfigWatch {
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(path), { persistent: false }, () => {
      clearTimeout(timer);
      timer = setTimeout(check, options.debounceMs ?? 200);
      timer.unref();
    });
    watcher.on('error', (err) => logger.warn({ path, err: err.message }, 'config watch failed: reload with SIGHUP'));
  } catch (err) {
    logger.warn({ path, err: (err as Error).message }, 'cannot watch the config directory: reload with SIGHUP');
  }
  return {
    stop() {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
