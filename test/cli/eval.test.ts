/**
 * `switchyard eval` end to end: a real gateway with a canary in front of simulators, the suite in
 * test/fixtures/evals/chat-smoke.yaml sent over HTTP. A canary whose simulator is made to fail shows
 * stable passing and canary failing (exit 1); `--json` is one object and nothing else; usage errors
 * and invalid suites exit 2; no key ever reaches the output.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runEvalCommand } from '../../cli/eval.js';
import type { EvalReport } from '../../gateway/evals/report.js';
import { useTestGateway } from '../support/gateway.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const suiteFile = `${root}test/fixtures/evals/chat-smoke.yaml`;
const invalidFile = `${root}test/fixtures/evals/invalid.yaml`;
const adminKey = 'adm-eval-0123456789';
const clientKey = 'sk-eval-client-9876543210';

const gw = useTestGateway(
  `
version: 1
server: { admin_key: "\${ADMIN_KEY}" }
simulators:
  stable-sim: { kind: openai, model: m, ttft_ms: 1, tpot_ms: 0, output_tokens: 12 }
  canary-sim: { kind: openai, model: m, ttft_ms: 1, tpot_ms: 0, output_tokens: 12 }
providers:
  stable-sim: { type: openai, base_url: sim://stable-sim }
  canary-sim: { type: openai, base_url: sim://canary-sim }
deployments:
  stable-dep: { provider: stable-sim, model: m, capabilities: [tools], allow_floating: true, price: { input_per_mtok: 1, output_per_mtok: 4 } }
  canary-dep: { provider: canary-sim, model: m, capabilities: [tools], allow_floating: true, price: { input_per_mtok: 1, output_per_mtok: 4 } }
routes:
  chat:
    targets: [stable-dep]
    canary: { targets: [canary-dep], percent: 0 }
keys:
  - { name: evals, key: "\${CLIENT_KEY}" }
`,
  { ADMIN_KEY: adminKey, CLIENT_KEY: clientKey },
);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `switchyard eval ARGS` in-process, with its own environment (never the shell's). */
async function evalCommand(args: string[], env: Record<string, string> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } };
  const code = await runEvalCommand(args, io, env);
  return { code, stdout, stderr };
}

const withKeys = (): string[] => ['--base-url', gw.url, '--key', clientKey, '--admin-key', adminKey];

describe('switchyard eval against a gateway with a canary', () => {
  it('passes on both variants when both are healthy (exit 0), each case served by the variant asked for', async () => {
    const run = await evalCommand([suiteFile, '--route', 'chat', ...withKeys()]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^suite chat-smoke on route chat: 3 case\(s\)\n/);
    expect(run.stdout).toMatch(/^ +stable +canary$/m);
    expect(run.stdout).toMatch(/^calls-the-weather-tool +pass +\d+ ms +pass +\d+ ms$/m);
    expect(run.stdout).toMatch(/^pass rate +3\/3 \(100%\) +3\/3 \(100%\)$/m);
    expect(run.stdout).toContain('PASS: stable 3/3, canary 3/3');
    expect(gw.sim('canary-sim').stats().requests).toBeGreaterThanOrEqual(3);
  });

  it('shows stable passing and canary failing when the canary simulator fails (exit 1)', async () => {
    gw.sim('canary-sim').setFaults([{ type: 'error', status: 400, message: 'canary model rejects the request' }]);
    const run = await evalCommand([suiteFile, '--route', 'chat', ...withKeys()]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^answers-in-words +pass +\d+ ms +FAIL +\d+ ms$/m);
    expect(run.stdout).toMatch(/^pass rate +3\/3 \(100%\) +0\/3 \(0%\)$/m);
    expect(run.stdout).toMatch(/^ {2}canary answers-in-words: HTTP 400: .*canary model rejects the request/m);
    expect(run.stdout).toContain('FAIL: stable 3/3, canary 0/3');
  });

  it('fails the canary when its simulator errors and the stable targets answer in its place (the variant falls back)', async () => {
    gw.sim('canary-sim').setFaults([{ type: 'error', status: 500, message: 'canary down' }]);
    const run = await evalCommand([suiteFile, '--route', 'chat', '--json', ...withKeys()]);
    expect(run.code).toBe(1);
    const [stable, canary] = (JSON.parse(run.stdout) as EvalReport).variants;
    expect(stable).toMatchObject({ passed: 3, failed: 0 });
    expect(canary).toMatchObject({ passed: 0, failed: 3 });
    expect(canary!.results[0]).toMatchObject({ status: 200, servedVariant: 'canary', deployment: 'stable-dep' });
    expect(canary!.results[0]!.reason).toMatch(/^the canary failed \(canary-dep:server.*\); stable-dep answered$/);
  });

  it('prints one JSON object and nothing else with --json', async () => {
    gw.sim('canary-sim').setFaults([{ type: 'error', status: 400, message: 'canary model rejects the request' }]);
    const run = await evalCommand([suiteFile, '--route', 'chat', '--json', '--concurrency', '2', ...withKeys()]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as EvalReport;
    expect(report).toMatchObject({ suite: 'chat-smoke', route: 'chat', pass: false });
    const [stable, canary] = report.variants;
    expect(stable).toMatchObject({ variant: 'stable', cases: 3, passed: 3, failed: 0, passRate: 1, costUsd: { unknown: 0 } });
    // The gateway's x-switchyard-cost-usd, at the deployment's price: every answer has tokens, so a cost above 0.
    expect(stable!.costUsd.total).toBeGreaterThan(0);
    expect(stable!.costUsd.mean).toBeCloseTo(stable!.costUsd.total! / 3, 9);
    expect(stable!.latencyMs.mean).toBeGreaterThan(0);
    expect(stable!.latencyMs.p95).toBeGreaterThanOrEqual(stable!.latencyMs.mean!);
    expect(stable!.tokens.prompt).toBeGreaterThan(0);
    expect(stable!.tokens.completion).toBeGreaterThan(0);
    expect(stable!.results[2]).toMatchObject({
      name: 'calls-the-weather-tool',
      pass: true,
      status: 200,
      servedVariant: 'stable',
      deployment: 'stable-dep',
    });
    expect(canary).toMatchObject({ variant: 'canary', cases: 3, passed: 0, failed: 3, passRate: 0 });
    expect(canary!.results[0]).toMatchObject({ name: 'answers-in-words', pass: false, status: 400 });
    expect(canary!.results[0]!.reason).toMatch(/^HTTP 400: .*canary model rejects the request/);
  });

  it('fails a case served by another variant than asked for: a wrong admin key is not honoured', async () => {
    const run = await evalCommand(
      [suiteFile, '--route', 'chat', '--variant', 'canary', '--base-url', gw.url, '--admin-key', 'not-the-admin-key'],
      {
        SWITCHYARD_API_KEY: clientKey,
      },
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('canary answers-in-words: served by stable, not canary');
  });

  it('runs the stable variant alone without an admin key, with its settings from the environment', async () => {
    const run = await evalCommand([suiteFile, '--route', 'chat', '--json'], {
      SWITCHYARD_BASE_URL: `${gw.url}/v1`,
      SWITCHYARD_API_KEY: clientKey,
    });
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as EvalReport).variants.map((v) => [v.variant, v.passed])).toEqual([['stable', 3]]);
  });

  it('fails every case, exit 1, when the gateway refuses the key or cannot be reached', async () => {
    const refused = await evalCommand([
      suiteFile,
      '--route',
      'chat',
      '--variant',
      'stable',
      '--base-url',
      gw.url,
      '--key',
      'sk-wrong-key-000',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/stable answers-in-words: HTTP 401/);
    const unreachable = await evalCommand([
      suiteFile,
      '--route',
      'chat',
      '--base-url',
      'http://127.0.0.1:1',
      '--key',
      clientKey,
      '--admin-key',
      adminKey,
    ]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stdout).toMatch(
      /stable answers-in-words: request failed: POST http:\/\/127\.0\.0\.1:1\/v1\/chat\/completions: fetch failed/,
    );
    for (const run of [refused, unreachable]) {
      expect(run.stdout + run.stderr).not.toContain(clientKey);
      expect(run.stdout + run.stderr).not.toContain(adminKey);
      expect(run.stdout + run.stderr).not.toContain('sk-wrong-key-000');
    }
  });

  it('never prints a key, in the text report or the JSON', async () => {
    gw.sim('canary-sim').setFaults([{ type: 'error', status: 400 }]);
    for (const extra of [[], ['--json']]) {
      const run = await evalCommand([suiteFile, '--route', 'chat', ...withKeys(), ...extra]);
      expect(run.stdout + run.stderr).not.toContain(clientKey);
      expect(run.stdout + run.stderr).not.toContain(adminKey);
    }
  });
});

describe('switchyard eval usage', () => {
  it('prints its help on stdout, exit 0', async () => {
    const run = await evalCommand(['--help']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^usage: switchyard eval SUITE\.yaml --route NAME/);
  });

  it.each([
    [[], 'no suite file given'],
    [[suiteFile], '--route is required'],
    [[suiteFile, suiteFile, '--route', 'chat'], 'give exactly one suite file'],
    [[suiteFile, '--route', 'chat', '--variant', 'blue', '--admin-key', 'k'], "--variant must be stable, canary or both, got 'blue'"],
    [[suiteFile, '--route', 'chat', '--variant', 'canary'], '--variant canary needs the admin key (--admin-key or SWITCHYARD_ADMIN_KEY)'],
    [[suiteFile, '--route', 'chat', '--variant', 'both'], '--variant both needs the admin key'],
    [[suiteFile, '--route', 'chat', '--concurrency', '0'], "--concurrency must be an integer >= 1, got '0'"],
    [[suiteFile, '--route', 'chat', '--base-url', 'ftp://host'], '--base-url must be an http(s) URL'],
    [[suiteFile, '--route', 'chat', '--base-url', 'http://user:secret@host'], '--base-url must not carry credentials'],
    [[suiteFile, '--route', 'chat', '--colour'], "Unknown option '--colour'"],
  ])('%j is a usage error: exit 2, the reason on stderr, nothing on stdout', async (args, message) => {
    const run = await evalCommand(args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`switchyard eval: ${message}`);
    expect(run.stderr).toContain("run 'switchyard eval --help' for its options.");
    expect(run.stderr).not.toContain('secret');
  });

  it('refuses an invalid suite with every error as file:line:col, exit 2', async () => {
    const run = await evalCommand([invalidFile, '--route', 'chat', '--admin-key', adminKey]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines.map((l) => l.match(/^.*invalid\.yaml:(\d+:\d+): /)?.[1] ?? l)).toEqual([
      '7:7',
      '8:5',
      '14:14',
      '18:20',
      `${invalidFile}: 4 error(s)`,
    ]);
  });

  it('is a command of `switchyard`', async () => {
    const child = spawn(process.execPath, ['bin/switchyard.mjs', 'eval', '--help'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const code = await new Promise((resolve) => child.once('close', resolve));
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: switchyard eval /);
  });
});
