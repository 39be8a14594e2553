/**
 * `switchyard sim`: help and argument errors (exit codes 0 and 2), the key read from an environment
 * variable, and a real run that serves until told to stop.
 */
import { describe, expect, it } from 'vitest';
import { runSimCommand } from '../../cli/sim.js';
import { pollUntil } from './helpers.js';

function capture(): { write(text: string): boolean; text: string } {
  return {
    text: '',
    write(text: string) {
      this.text += text;
      return true;
    },
  };
}

describe('switchyard sim', () => {
  it('prints usage for --help and -h on stdout and exits 0, even beside other options', async () => {
    for (const argv of [['--help'], ['-h'], ['--kind', 'bedrock', '-h']]) {
      const stdout = capture();
      const stderr = capture();
      expect(await runSimCommand(argv, { stdout, stderr })).toBe(0);
      expect(stdout.text).toMatch(/^usage: switchyard sim --kind openai\|vllm/);
      expect(stdout.text).toContain('--api-key-env VAR');
      expect(stdout.text).toContain('-h, --help');
      expect(stderr.text).toBe('');
    }
  });

  it('exits 2 with a clear message on invalid arguments', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--kind', 'mistral'], /--kind must be one of openai, vllm, anthropic, gemini, azure, bedrock, got 'mistral'/],
      [[], /--kind is required/],
      [['--kind', 'vllm', '--port', 'eighty'], /--port must be a port number/],
      [['--kind', 'vllm', '--fail-rate', '2'], /--fail-rate must be a probability/],
      [['--kind', 'vllm', '--api-key', 'sk-secret'], /Unknown option '--api-key'/],
      [['--kind', 'vllm', '--api-key-env', 'SWITCHYARD_TEST_UNSET_VAR'], /SWITCHYARD_TEST_UNSET_VAR is not set/],
    ];
    for (const [argv, message] of cases) {
      const stderr = capture();
      const stdout = capture();
      expect(await runSimCommand(argv, { stderr, stdout })).toBe(2);
      expect(stderr.text).toMatch(message);
      // The message, then a hint where the usage is (the whole usage would bury the message); stdout stays clean.
      expect(stderr.text).toMatch(/^switchyard sim: .*\nrun 'switchyard sim --help' for usage\.\n$/);
      expect(stdout.text).toBe('');
    }
  });

  it('serves until stopped, with the key taken from the environment', async () => {
    process.env['SWITCHYARD_TEST_SIM_KEY'] = 'sk-from-env';
    const stdout = capture();
    const stop = new AbortController();
    try {
      const exit = runSimCommand(['--kind', 'vllm', '--port', '0', '--model', 'llama', '--api-key-env', 'SWITCHYARD_TEST_SIM_KEY'], {
        stdout,
        signal: stop.signal,
      });
      await pollUntil(() => /http:\/\/\S+\/v1/.test(stdout.text), 'the URL to be printed');
      const url = /(http:\/\/\S+\/v1)/.exec(stdout.text)![1]!;
      expect((await fetch(`${url}/models`)).status).toBe(401);
      const ok = await fetch(`${url}/models`, { headers: { authorization: 'Bearer sk-from-env' } });
      expect(((await ok.json()) as { data: Array<{ id: string }> }).data[0]!.id).toBe('llama');
      stop.abort();
      expect(await exit).toBe(0);
      await expect(fetch(`${url}/models`)).rejects.toThrow();
    } finally {
      delete process.env['SWITCHYARD_TEST_SIM_KEY'];
    }
  });
});
