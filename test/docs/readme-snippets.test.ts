/**
 * Every fenced block of README.md works as written. A reader copies these; one that does not parse or
 * run is a bug, so each block is recognised and checked, and a block this test does not recognise
 * fails it rather than being skipped silently. The rules, by the fence's language:
 *
 * - ```yaml: a whole config, loaded by the real loader (config/loader.ts) without the environment
 *   (`validate --no-env`: every `${VAR}` counts as set); it must have no error and no warning, and
 *   errors name the README's own line. A block that is only a piece of a config must say so with the
 *   line `<!-- fragment -->` right before its fence; a fragment must still be valid YAML.
 * - ```js / ```mjs: run by Node as an ES module from the repository root (so `import OpenAI from
 *   'openai'` resolves) against the gateway below, with the README's base URL `http://localhost:8080`
 *   replaced by the gateway's; it must exit 0.
 * - ```sh / ```bash / ```shell that call `curl` or `npx switchyard eval`: run by bash (`set -eo pipefail`, and curl fails on
 *   an HTTP error unless the block already passes -f) against the same gateway: `localhost:8080` is
 *   the gateway, any other `localhost:PORT` gets a free port (every mention of that port in the block
 *   is rewritten, e.g. the `--port` of a simulator it starts). A line that starts the gateway
 *   (`[VAR=value ...] npm start`) is played by the test's gateway, which runs with those variables set.
 *   Background jobs the block starts are killed when it ends.
 * - Other shell blocks: every command must be on the `notRun` list below (installing, starting the
 *   server, Docker), with the reason it is not run; each such block is listed as a test of its own.
 * - ```text: diagrams and layouts, not checked.
 *
 * The gateway is the embedded demo config (config/switchyard.yaml, what `npm start` serves and what
 * the README's requests are written for), started in-process on port 0 by test/support/gateway.ts,
 * with fresh state before each block.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { formatIssue, loadConfigText } from '../../config/loader.js';
import { useTestGateway } from '../support/gateway.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const readme = readFileSync(`${root}/README.md`, 'utf8');

interface Block {
  lang: string;
  /** The fence's line (1-based). */
  line: number;
  text: string;
  fragment: boolean;
}

function fencedBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const open = /^```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const close = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (close === -1) throw new Error(`README.md:${i + 1}: a fence that is never closed`);
    let before = i - 1;
    while (before >= 0 && lines[before]!.trim() === '') before -= 1;
    blocks.push({
      lang: open[1]!,
      line: i + 1,
      text: lines.slice(i + 1, close).join('\n'),
      fragment: before >= 0 && lines[before]!.trim() === '<!-- fragment -->',
    });
    i = close;
  }
  return blocks;
}

/** Shell commands the README shows but this test does not run, and why. */
const notRun: Array<{ command: RegExp; why: string }> = [
  { command: /^npm (install|ci)\b/, why: 'installs dependencies' },
  { command: /^([A-Z_]+=\S*\s+)*npm start\b/, why: 'serves until stopped; the test runs its own gateway' },
  { command: /^npm (test|run \S+)\b/, why: 'runs the test suite or a package script' },
  { command: /^docker\b/, why: 'needs Docker' },
  { command: /^bash \.ci\/run\b/, why: 'runs CI (the whole suite in a fresh clone)' },
];

const shellLanguages = new Set(['sh', 'bash', 'shell']);
const known = new Set(['yaml', 'js', 'mjs', 'text', ...shellLanguages]);
const startsGateway = /^\s*((?:[A-Z_][A-Z0-9_]*=\S*\s+)*)npm start\b/;

/** Commands of a shell block: its lines without comments, continuation lines joined. */
function commandsOf(text: string): string[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

const blocks = fencedBlocks(readme);
const at = (b: Block) => `README.md:${b.line}`;
const isRun = (b: Block) => shellLanguages.has(b.lang) && /(^|[\s;|&(])(curl|npx switchyard eval)\s/m.test(b.text);

/** The environment the README starts the gateway with (`VAR=value npm start`), from every such line. */
const gatewayEnv: Record<string, string> = {};
for (const b of blocks.filter(isRun)) {
  for (const line of b.text.split('\n')) {
    const m = startsGateway.exec(line);
    for (const [, name, value] of (m?.[1] ?? '').matchAll(/([A-Z_][A-Z0-9_]*)=(\S*)/g)) gatewayEnv[name!] = value!;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface Run {
  code: number | null;
  output: string;
}

/**
 * Runs a program to its end; its whole process group is killed then (background jobs, which would keep
 * its output open) or at the deadline.
 */
function run(command: string, args: string[], input: string, timeoutMs: number): Promise<Run> {
  const child = spawn(command, args, {
    cwd: root,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  child.stdin.end(input);
  const killGroup = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      output += `\n[killed after ${timeoutMs} ms]`;
      killGroup();
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      killGroup();
      child.once('close', () => resolve({ code, output }));
    });
  });
}

// curl fails on an HTTP error status, as a reader would notice one, unless the block chose -f itself.
const curlFailsOnHttpErrors = `curl() {
  for a in "$@"; do case "$a" in --fail|--fail-with-body|-[!-]*f*) command curl "$@"; return;; esac; done
  command curl --fail-with-body "$@"
}
`;

describe('README.md fenced blocks', () => {
  it('are all of a language this test knows (yaml, js, mjs, sh, bash, shell, text)', () => {
    expect(blocks.length).toBeGreaterThan(0);
    const unknown = blocks.filter((b) => !known.has(b.lang)).map((b) => `${at(b)}: \`\`\`${b.lang || '(no language)'}`);
    expect(unknown, 'give each fence a language this test checks, or teach the test the new one').toEqual([]);
  });

  const gw = useTestGateway(readFileSync(`${root}/config/switchyard.yaml`, 'utf8'), gatewayEnv);

  for (const b of blocks.filter((x) => x.lang === 'yaml')) {
    if (b.fragment) {
      it(`${at(b)}: yaml fragment parses`, () => {
        expect(parseDocument(b.text).errors.map((e) => e.message)).toEqual([]);
      });
      continue;
    }
    it(`${at(b)}: yaml is a whole config that validates (no errors, no warnings)`, () => {
      // Leading newlines make the loader's line numbers the README's.
      const loaded = loadConfigText('\n'.repeat(b.line) + b.text, 'README.md', {}, { assumeEnvSet: true });
      expect(loaded.ok ? [] : loaded.errors.map(formatIssue)).toEqual([]);
      expect(loaded.warnings.map(formatIssue)).toEqual([]);
    });
  }

  for (const b of blocks.filter((x) => x.lang === 'js' || x.lang === 'mjs')) {
    it(`${at(b)}: ${b.lang} runs against the gateway and exits 0`, { timeout: 60_000 }, async () => {
      expect(b.text, 'a js block talks to the gateway at http://localhost:8080').toContain('http://localhost:8080');
      const code = b.text.replaceAll('http://localhost:8080', gw.url);
      const result = await run(process.execPath, ['--input-type=module'], code, 45_000);
      expect(result, result.output).toMatchObject({ code: 0 });
    });
  }

  for (const b of blocks.filter(isRun)) {
    const title = commandsOf(b.text)
      .map((c) => c.split(' ').slice(0, 3).join(' '))
      .join('; ');
    it(`${at(b)}: shell runs against the gateway and exits 0 (${title})`, { timeout: 60_000 }, async () => {
      const gateway = new URL(gw.url);
      let script = b.text;
      for (const port of new Set([...script.matchAll(/localhost:(\d+)/g)].map((m) => m[1]!))) {
        const to = port === '8080' ? gateway.port : String(await freePort());
        script = script.replace(new RegExp(`\\b${port}\\b`, 'g'), to);
      }
      script = script.replaceAll('localhost:', '127.0.0.1:');
      script = script
        .split('\n')
        .map((line) => {
          const m = startsGateway.exec(line);
          if (!m) return line;
          for (const [, name, value] of (m[1] ?? '').matchAll(/([A-Z_][A-Z0-9_]*)=(\S*)/g)) expect(gatewayEnv[name!]).toBe(value);
          return ': the test gateway plays this line';
        })
        .join('\n');
      const result = await run('bash', ['-c', `set -eo pipefail\n${curlFailsOnHttpErrors}${script}`], '', 45_000);
      expect(result, result.output).toMatchObject({ code: 0 });
    });
  }

  for (const b of blocks.filter((x) => shellLanguages.has(x.lang) && !isRun(x))) {
    const commands = commandsOf(b.text);
    const reasons = commands.map((c) => notRun.find((n) => n.command.test(c))?.why);
    it(`${at(b)}: shell not run: ${commands.map((c, i) => `\`${c}\` (${reasons[i] ?? 'UNRECOGNISED'})`).join('; ')}`, () => {
      const unrecognised = commands.filter((_, i) => reasons[i] === undefined);
      expect(
        unrecognised,
        'a shell command this test neither runs nor knows: make the block runnable, or add it to notRun with why',
      ).toEqual([]);
    });
  }
});
