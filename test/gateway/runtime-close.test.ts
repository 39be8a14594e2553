/**
 * Closing Runtimes: a Runtime closes once however often it is asked (the holder's drain timer and a
 * shutdown may both ask; undici's pools reject a second close, which surfaced as an unhandled rejection
 * in CI), and closing the holder closes a swapped-out Runtime at once and cancels its drain timer.
 */
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../config/loader.js';
import { buildRuntime } from '../../gateway/runtime/build.js';
import { RuntimeHolder } from '../../gateway/runtime/holder.js';
import type { Runtime } from '../../gateway/runtime/runtime.js';

const text = `version: 1
providers:
  p: { type: vllm, base_url: "http://127.0.0.1:9/v1" }
deployments:
  m@p: { provider: p, model: m }
routes:
  chat: { targets: [m@p] }
`;

function runtime(): Runtime {
  const loaded = loadConfigText(text, 'close.yaml', {});
  if (!loaded.ok) throw new Error('config');
  return buildRuntime(loaded.config);
}

/** Counts the closes of a Runtime's own close (the first call does the work). */
function counted(rt: Runtime): { rt: Runtime; calls: () => number } {
  let calls = 0;
  const close = rt.close.bind(rt);
  return {
    rt: {
      ...rt,
      close: () => {
        calls += 1;
        return close();
      },
    },
    calls: () => calls,
  };
}

describe('closing Runtimes', () => {
  it('closes a Runtime once: a second close resolves too, and to the same promise', async () => {
    const rt = runtime();
    const first = rt.close();
    const second = rt.close();
    expect(second).toBe(first);
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
    await expect(rt.close()).resolves.toBeUndefined();
  });

  it('closing the holder closes a swapped-out Runtime at once and cancels its drain timer', async () => {
    const old = counted(runtime());
    const holder = new RuntimeHolder(old.rt);
    holder.swap(runtime(), 20);
    await holder.close();
    expect(old.calls()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(old.calls()).toBe(1);
  });
});
