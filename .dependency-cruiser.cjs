/**
 * Import rules of dqm-export (checked by `npm run deps`, part of `npm test`). Folders are layers and an
 * import may only point down, never up or sideways into a layer that is not listed:
 *
 *   cli
 *   pipeline    inspect           plans and orchestrates | reads a dataset back, reports on it
 *   sources                       where records come from (CSV files; DIALS)
 *   dataset    server             on-disk commit protocol | embedded DQM Playground and DIALS servers
 *              tables             in-memory tables of ML4DQM rows, shared by the servers and the CSV source
 *   load       config             files (Parquet/Arrow)   | pipeline files
 *   extract    transform   csv    DQM Playground client    | records to Arrow | ML4DQM CSV reading
 *   src/*.ts                      errors, log, secrets, version, domain, crash points
 *
 * Type-only imports count (tsPreCompilationDeps), since they couple layers as much as value imports.
 */
const FOUNDATION = '^src/[^/]+\\.ts$';

/** A rule: files under src/<from>/ may import only src/<allowed>/ (and the foundation, and packages). */
function layer(from, allowed) {
  const ok = [from, ...allowed].join('|');
  return {
    name: `${from}-imports-only-below`,
    comment: `src/${from}/ may import only ${allowed.length ? allowed.map((a) => `src/${a}/`).join(', ') + ' and ' : ''}src/*.ts`,
    severity: 'error',
    from: { path: `^src/${from}/` },
    to: { path: '^src/', pathNot: [`^src/(${ok})/`, FOUNDATION] },
  };
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles: a cycle makes load order fragile and the layers meaningless.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'foundation-imports-no-folder',
      comment: 'src/*.ts (errors, log, secrets, version, domain, crash points) import no folder of src/.',
      severity: 'error',
      from: { path: FOUNDATION },
      to: { path: '^src/[^/]+/' },
    },
    layer('transform', []),
    layer('csv', []),
    layer('extract', []),
    layer('load', ['transform']),
    layer('config', ['extract', 'transform']),
    layer('dataset', ['load', 'transform', 'config']),
    layer('tables', ['csv']),
    layer('server', ['tables', 'csv']),
    layer('sources', ['extract', 'transform', 'csv', 'tables', 'server', 'config']),
    layer('pipeline', ['sources', 'dataset', 'load', 'transform', 'extract', 'config']),
    layer('inspect', ['dataset']),
    {
      name: 'src-never-imports-tests-or-bench',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'not-to-dev-dep',
      comment: 'Shipped code must not import a devDependency (it is not installed for users).',
      severity: 'error',
      // worker-script.ts and the CSV source's worker-url.ts transpile their workers with `typescript`
      // only when run from the sources (tests without a build); a built package never reaches that branch.
      from: { path: '^src/', pathNot: '^src/(load/parquet/worker-script|sources/csv/worker-url)\\.ts$' },
      to: { dependencyTypes: ['npm-dev'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
