// Compares two dqm-export Parquet datasets row for row with DuckDB (an independent reader): the same
// rows, partition column included, whatever the file layout. Prints one line; exits 1 on a difference.
// Usage: node test/engines/compare-datasets.mjs DATASET_A DATASET_B
import { DuckDBInstance } from '@duckdb/node-api';

const [a, b] = process.argv.slice(2);
if (!a || !b) {
  console.error('usage: compare-datasets.mjs DATASET_A DATASET_B');
  process.exit(2);
}
const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
const scan = (dir) => `read_parquet('${dir.replaceAll("'", "''")}/**/*.parquet', hive_partitioning = true)`;
async function summary(dir) {
  const r = await conn.runAndReadAll(
    `SELECT count(*)::BIGINT AS n, count(DISTINCT id)::BIGINT AS ids, sum(hash(t))::HUGEINT::VARCHAR AS h FROM (SELECT * FROM ${scan(dir)}) t`,
  );
  const [n, ids, h] = r.getRows()[0];
  return { rows: Number(n), ids: Number(ids), hash: String(h) };
}
const [sa, sb] = [await summary(a), await summary(b)];
const diff = await conn.runAndReadAll(
  `SELECT count(*)::BIGINT FROM ((SELECT * FROM ${scan(a)} EXCEPT ALL SELECT * FROM ${scan(b)}) UNION ALL (SELECT * FROM ${scan(b)} EXCEPT ALL SELECT * FROM ${scan(a)}))`,
);
const differing = Number(diff.getRows()[0][0]);
const same = differing === 0 && sa.rows === sb.rows && sa.hash === sb.hash && sa.rows === sa.ids;
console.log(
  `test:engines slurm: ${same ? 'PASSED' : 'FAILED'}: sharded ${sa.rows} rows (${sa.ids} ids), single ${sb.rows} rows (${sb.ids} ids), content hash ${sa.hash === sb.hash ? 'equal' : 'different'}, ${differing} rows differ`,
);
process.exit(same ? 0 : 1);
