// The layer order in .dependency-cruiser.cjs: its rules bite on a small tree built for the purpose,
// and the real tree breaks none of them.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseOptions, type ICruiseResult, type IViolation } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
// The TypeScript compiler parses every file; on two busy cores a whole-tree cruise takes seconds.
const CRUISE_TIMEOUT_MS = 120_000;

async function cruiseTree(baseDir: string): Promise<ICruiseResult> {
  const options: ICruiseOptions = { ...(await extractDepcruiseOptions(CONFIG)), baseDir };
  const { output } = await cruise(['.'], options);
  if (typeof output === 'string') throw new Error('dependency-cruiser returned a formatted report, not a cruise result');
  return output;
}

/** One line per violation, `from → to : rule`, sorted; a cycle (reported once, from any of its files) as its sorted files. */
function describeViolations(violations: readonly IViolation[]): string[] {
  return violations
    .map((v) => {
      if (v.cycle) return `cycle ${[...new Set([v.from, ...v.cycle.map((c) => c.name)])].sort().join(', ')} : ${v.rule.name}`;
      return `${v.from} → ${v.to} : ${v.rule.name}`;
    })
    .sort();
}

/**
 * A tree with one of each mistake, plus imports that every rule must allow. Specifiers are
 * NodeNext style (`./x.js` for x.ts), so each violation below is found only if `.js` resolves to `.ts`.
 */
const FIXTURE: Record<string, string> = {
  // adapters/ reaches up into gateway/.
  'adapters/a.ts': "import { g } from '../gateway/g.js';\nexport const a = g;\n",
  // A relative import of a file that does not exist.
  'adapters/missing.ts': "import { nope } from './nope.js';\nexport const m = nope;\n",
  'adapters/base.ts': 'export interface Base { id: string }\nexport const base = 1;\n',
  // A cycle of type-only imports still counts.
  'gateway/cycle-a.ts': "import type { B } from './cycle-b.js';\nexport interface A { b?: B }\n",
  'gateway/cycle-b.ts': "import type { A } from './cycle-a.js';\nexport interface B { a?: A }\n",
  'gateway/g.ts': "import { base } from '../adapters/base.js';\nexport interface G { n: number }\nexport const g = base;\n",
  // gateway/ reaches up into routes/.
  'gateway/up.ts': "import { r } from '../routes/r.js';\nexport const up = r;\n",
  // upstream/ reaches into config/.
  'upstream/u.ts': "import { c } from '../config/c.js';\nimport { base } from '../adapters/base.js';\nexport const u = c + base;\n",
  // Allowed: config/ on adapters/, an npm package and a node builtin.
  'config/c.ts':
    "import { z } from 'zod';\nimport { readFileSync } from 'node:fs';\nimport type { Base } from '../adapters/base.js';\n" +
    'export const c = 1;\nexport const schema = z.string();\nexport type B = Base;\nexport const read = readFileSync;\n',
  // config/ takes a type from gateway/.
  'config/up.ts': "import type { G } from '../gateway/g.js';\nexport type Up = G;\n",
  // telemetry/ takes a type from gateway/ (type-only imports count).
  'telemetry/t.ts': "import type { G } from '../gateway/g.js';\nimport { c } from '../config/c.js';\nexport const t = (x: G) => x.n + c;\n",
  'telemetry/ok.ts': "import { base } from '../adapters/base.js';\nexport const ok = base;\n",
  // gpu-pool/ reaches into gateway/; its imports of upstream/ and telemetry/ are allowed.
  'gpu-pool/p.ts':
    "import { g } from '../gateway/g.js';\nimport { u } from '../upstream/u.js';\nimport { ok } from '../telemetry/ok.js';\nexport const p = g + u + ok;\n",
  // routes/ imports a test helper.
  'routes/r.ts': "import { helper } from '../test/helper.js';\nexport const r = helper;\n",
  // sim/ imports adapters/.
  'sim/s.ts': "import { base } from '../adapters/base.js';\nexport const s = base;\n",
  // cli/ may import any layer, but not bench/.
  'cli/main.ts':
    "import { s } from '../sim/s.js';\nimport { r } from '../routes/r.js';\nimport { p } from '../gpu-pool/p.js';\nimport { b } from '../bench/b.js';\nexport const main = s + r + p + b;\n",
  'test/helper.ts': 'export const helper = 1;\n',
  // Allowed: test/ imports anything.
  'test/uses-cli.ts': "import { main } from '../cli/main.js';\nimport { helper } from './helper.js';\nexport const all = main + helper;\n",
  'bench/b.ts': "import { helper } from '../test/helper.js';\nexport const b = helper;\n",
};

describe('layer rules (.dependency-cruiser.cjs)', () => {
  let fixtureDir = '';

  beforeAll(async () => {
    // Inside the repository (so `zod` resolves from its node_modules/), in the ignored .cache/.
    await mkdir(join(ROOT, '.cache'), { recursive: true });
    fixtureDir = await mkdtemp(join(ROOT, '.cache', 'layers-'));
    for (const [file, text] of Object.entries(FIXTURE)) {
      await mkdir(dirname(join(fixtureDir, file)), { recursive: true });
      await writeFile(join(fixtureDir, file), text);
    }
  });

  afterAll(async () => {
    if (fixtureDir) await rm(fixtureDir, { recursive: true, force: true });
  });

  let fixtureResult: Promise<ICruiseResult> | undefined;
  const cruiseFixture = (): Promise<ICruiseResult> => (fixtureResult ??= cruiseTree(fixtureDir));

  it(
    'report each mistake in a fixture tree under the rule that forbids it, and nothing else',
    async () => {
      const result = await cruiseFixture();
      expect(describeViolations(result.summary.violations)).toEqual(
        [
          'adapters/a.ts → gateway/g.ts : adapters-imports-only-adapters',
          'adapters/missing.ts → ./nope.js : not-to-unresolvable',
          'cli/main.ts → bench/b.ts : not-to-test-or-bench',
          'config/up.ts → gateway/g.ts : config-imports-only-config-adapters',
          'cycle gateway/cycle-a.ts, gateway/cycle-b.ts : no-circular',
          'gateway/up.ts → routes/r.ts : gateway-not-to-higher-layers',
          'gpu-pool/p.ts → gateway/g.ts : gpu-pool-imports-only-lower-layers',
          'routes/r.ts → test/helper.ts : not-to-test-or-bench',
          'routes/r.ts → test/helper.ts : routes-not-to-higher-layers',
          'sim/s.ts → adapters/base.ts : sim-imports-only-sim',
          'telemetry/t.ts → gateway/g.ts : telemetry-imports-only-telemetry-adapters-config',
          'upstream/u.ts → config/c.ts : upstream-imports-only-upstream-adapters',
        ].sort(),
      );
    },
    CRUISE_TIMEOUT_MS,
  );

  it(
    'every rule in the configuration bites on the fixture tree',
    async () => {
      const options = await extractDepcruiseOptions(CONFIG);
      const ruleNames = (options.ruleSet?.forbidden ?? []).map((rule) => rule.name ?? '(unnamed)');
      const result = await cruiseFixture();
      const reported = new Set(result.summary.violations.map((v) => v.rule.name));
      expect(ruleNames.filter((name) => !reported.has(name))).toEqual([]);
      // Every rule says what to do about it.
      expect((options.ruleSet?.forbidden ?? []).filter((rule) => !rule.comment).map((rule) => rule.name)).toEqual([]);
    },
    CRUISE_TIMEOUT_MS,
  );

  it(
    'the repository itself breaks no layer rule',
    async () => {
      const result = await cruiseTree(ROOT);
      expect(result.summary.totalCruised).toBeGreaterThan(100);
      expect(describeViolations(result.summary.violations)).toEqual([]);
    },
    CRUISE_TIMEOUT_MS,
  );
});
