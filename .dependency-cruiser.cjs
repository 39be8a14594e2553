// The one-way layer order, checked by `npm run lint` (depcruise) and test/lint/layers.test.ts.
//
//   cli → routes → gateway → {config, telemetry, gpu-pool} → {upstream → adapters}
//
// sim/ (the upstream simulators) stands alone; test/ and bench/ sit above everything and nothing
// else imports them. Type-only imports count (tsPreCompilationDeps), and `./a.js` specifiers
// resolve to `./a.ts` as tsc's NodeNext resolution does.

/** Folders as path patterns, relative to the repository root. */
const dir = (name) => `^${name}/`;

/** npm packages, wherever node_modules/ resolves to (a symlinked node_modules/ resolves outside the tree). */
const NODE_MODULES = '(^|/)node_modules/';

/**
 * A layer that may import only the listed folders (itself included), npm packages and node builtins.
 * Unresolvable imports are left to `not-to-unresolvable`, so one mistake gives one message.
 */
function onlyImports(name, layer, allowed, comment) {
  return {
    name,
    severity: 'error',
    comment,
    from: { path: dir(layer) },
    to: {
      // npm packages (node_modules/) and node builtins (core) are always allowed.
      pathNot: [...allowed.map(dir), NODE_MODULES],
      dependencyTypesNot: ['core'],
      couldNotResolve: false,
    },
  };
}

/** A layer that must not import the listed folders. */
function mustNotImport(name, layer, forbidden, comment) {
  return {
    name,
    severity: 'error',
    comment,
    from: { path: dir(layer) },
    to: { path: `^(${forbidden.join('|')})/` },
  };
}

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'Files import each other in a cycle (type-only imports count): move the shared part into a file lower in the layer order that both can import.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment:
        'A relative import does not resolve to a file: fix the path (write `./x.js` for `x.ts`, as NodeNext wants) or restore the file.',
      from: {},
      to: { couldNotResolve: true, path: '^\\.{1,2}/' },
    },
    onlyImports(
      'adapters-imports-only-adapters',
      'adapters',
      ['adapters'],
      'adapters/ is the bottom layer (provider contracts and translations): it may import only adapters/, npm packages and node builtins; pass anything else in as a parameter.',
    ),
    onlyImports(
      'upstream-imports-only-upstream-adapters',
      'upstream',
      ['upstream', 'adapters'],
      'upstream/ (transport, endpoint pools, health checks) may import only upstream/ and adapters/; move what it needs from higher layers down, or pass it in.',
    ),
    onlyImports(
      'config-imports-only-config-adapters',
      'config',
      ['config', 'adapters'],
      'config/ may import only config/ and adapters/ (provider types and settings schemas from adapters/index.ts); runtime concepts belong to gateway/, which imports config/.',
    ),
    onlyImports(
      'telemetry-imports-only-telemetry-adapters-config',
      'telemetry',
      ['telemetry', 'adapters', 'config'],
      'telemetry/ may import only telemetry/, adapters/ and config/: declare the shapes it records in telemetry/ and let gateway/ call it, not the other way round.',
    ),
    onlyImports(
      'gpu-pool-imports-only-lower-layers',
      'gpu-pool',
      ['gpu-pool', 'upstream', 'adapters', 'config', 'telemetry'],
      'gpu-pool/ may import only gpu-pool/, upstream/, adapters/, config/ and telemetry/; gateway/ uses the pool, the pool does not know gateway/.',
    ),
    mustNotImport(
      'gateway-not-to-higher-layers',
      'gateway',
      ['routes', 'cli', 'sim', 'bench', 'test'],
      'gateway/ must not import routes/, cli/, sim/, bench/ or test/: routes/ and cli/ call into gateway/; move the shared piece into gateway/ or lower.',
    ),
    mustNotImport(
      'routes-not-to-higher-layers',
      'routes',
      ['cli', 'sim', 'bench', 'test'],
      'routes/ must not import cli/, sim/, bench/ or test/: cli/ wires routes/ up; move the shared piece into routes/ or lower.',
    ),
    onlyImports(
      'sim-imports-only-sim',
      'sim',
      ['sim'],
      'sim/ (the upstream simulators) stands alone and may import only sim/, npm packages and node builtins, so it can play any upstream without the gateway.',
    ),
    {
      name: 'not-to-test-or-bench',
      severity: 'error',
      comment:
        'Only test/ and bench/ may import test/ or bench/ (cli/ may import anything else): product code must not depend on test helpers or benchmarks.',
      from: { pathNot: '^(test|bench)/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    // Count `import type` and other imports that TypeScript erases on compilation.
    tsPreCompilationDeps: true,
    // npm packages are leaves: never cruise into them.
    doNotFollow: { path: NODE_MODULES },
    // Build output and caches (test/lint/layers.test.ts builds its fixture tree in .cache/). An excluded
    // file also disappears as an import target, so test/fixtures/ and test/vendor/ (data, no code) stay in.
    exclude: { path: '^(node_modules|dist|coverage|\\.cache|bench/results)/' },
    // NodeNext: `import x from './a.js'` where the file is a.ts. dependency-cruiser retries an
    // unresolved `.js` specifier as `.ts`/`.tsx`/`.d.ts`, as tsc does; these are the extensions it tries first.
    enhancedResolveOptions: {
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
