/**
 * The batch-engine examples in deploy/ stay runnable: the Kubernetes Job parses and is an Indexed Job
 * whose command the CLI accepts, the Slurm script is valid bash, the HTCondor file queues as many jobs
 * as the shard count it documents, and every pipeline they name exists.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PACKAGE_ROOT } from '../../src/version.js';

const read = (rel: string) => readFileSync(join(PACKAGE_ROOT, rel), 'utf8');

describe('deploy examples', () => {
  it('kubernetes/indexed-job.yaml is an Indexed Job running run --plan with the token from a secret', () => {
    const job = parse(read('deploy/kubernetes/indexed-job.yaml'));
    expect(job.kind).toBe('Job');
    expect(job.spec.completionMode).toBe('Indexed');
    expect(job.spec.completions).toBeGreaterThan(1);
    const container = job.spec.template.spec.containers[0];
    expect(container.command.slice(0, 2)).toEqual(['sh', '-c']);
    expect(container.command[2]).toMatch(/^node dist\/src\/cli\/bin\.cjs run \S+ --plan \S+ --out \S+ --resume/m);
    // Exit 2 fails the index at once; nothing retries a complete shard.
    expect(job.spec.podFailurePolicy.rules[0]).toMatchObject({
      action: 'FailIndex',
      onExitCodes: { operator: 'In', values: [2] },
    });
    const token = container.env.find((e: { name: string }) => e.name === 'DQM_PLAYGROUND_TOKEN');
    expect(token.valueFrom.secretKeyRef).toBeDefined();
    expect(token.value).toBeUndefined();
  });

  it('slurm/export.sbatch is valid bash with a 0-based array and run --plan, and no directory Slurm would have to create', () => {
    execFileSync('bash', ['-n', join(PACKAGE_ROOT, 'deploy/slurm/export.sbatch')]);
    const text = read('deploy/slurm/export.sbatch');
    expect(text).toMatch(/^#SBATCH --array=0-7/m);
    expect(text).toMatch(/pipelines\/pixel-2d\.yaml/);
    expect(text).toMatch(/run "\$PIPELINE"/);
    expect(text).toContain('--plan');
    // Slurm opens --output before the script runs and creates no directory for it.
    expect(/^#SBATCH --output=(\S+)/m.exec(text)?.[1]).not.toContain('/');
  });

  it('htcondor/export.sub queues one job per shard and passes $(Process) as the shard', () => {
    const text = read('deploy/htcondor/export.sub');
    expect(text).toMatch(/--shard \$\(Process\)/);
    const queued = Number(/^queue (\d+)/m.exec(text)?.[1]);
    const planned = Number(/--shards (\d+)/.exec(text)?.[1]);
    expect(queued).toBe(planned);
    expect(text).not.toMatch(/DQM_PLAYGROUND_TOKEN=/);
  });

  it('the pipelines they name exist', () => {
    for (const rel of [
      'deploy/htcondor/export.sub',
      'deploy/kubernetes/indexed-job.yaml',
      'deploy/slurm/export.sbatch',
    ]) {
      for (const m of read(rel).matchAll(/pipelines\/[\w-]+\.yaml/g))
        expect(existsSync(join(PACKAGE_ROOT, m[0])), `${rel}: ${m[0]}`).toBe(true);
    }
  });
});

/** A fake checkout whose CLI exits with `code`, to run the examples' wrapper logic for real. */
function fakeCheckout(code: number): string {
  const home = mkdtempSync(join(tmpdir(), 'dqm-deploy-'));
  mkdirSync(join(home, 'dist/src/cli'), { recursive: true });
  writeFileSync(
    join(home, 'dist/src/cli/bin.cjs'),
    `process.stdout.write(JSON.stringify(process.argv.slice(2)) + '\\n'); process.exit(${code});\n`,
  );
  return home;
}

describe('the examples agree on exit codes: 0 and 3 done, 1 retried, 2 not', () => {
  const sbatch = join(PACKAGE_ROOT, 'deploy/slurm/export.sbatch');
  const envBase = { PATH: process.env.PATH ?? '', HOME: tmpdir(), SLURM_ARRAY_JOB_ID: '7', SLURM_ARRAY_TASK_ID: '1' };

  it.each([
    [0, 0],
    [3, 0],
    [1, 1],
    [2, 2],
  ])('slurm: the CLI exiting %i makes the task exit %i', (cli, task) => {
    const home = fakeCheckout(cli);
    try {
      const r = spawnSync('bash', [sbatch], {
        env: { ...envBase, DQM_EXPORT_HOME: home, WORK_DIR: join(home, 'work') },
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(task);
      const argv = JSON.parse(r.stdout.trim().split('\n')[0]) as string[];
      expect(argv.slice(0, 2)).toEqual(['run', join(home, 'pipelines/pixel-2d.yaml')]);
      expect(argv).toEqual(
        expect.arrayContaining(['--plan', join(home, 'work/plan.json'), '--out', join(home, 'work'), '--resume']),
      );
      expect(existsSync(join(home, 'work/logs'))).toBe(true);
      if (cli === 3) expect(r.stderr).toMatch(/shard 1 is complete with rejected records/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('slurm: $SCRATCH is the default work directory; neither set is a clear error (exit 2), as is a checkout without dist/', () => {
    const home = fakeCheckout(0);
    try {
      const scratch = join(home, 'scratch');
      const ok = spawnSync('bash', [sbatch], {
        env: { ...envBase, DQM_EXPORT_HOME: home, SCRATCH: scratch },
        encoding: 'utf8',
      });
      expect(ok.status, ok.stderr).toBe(0);
      expect(JSON.parse(ok.stdout.trim())).toEqual(expect.arrayContaining(['--out', join(scratch, 'dqm')]));
      const none = spawnSync('bash', [sbatch], { env: { ...envBase, DQM_EXPORT_HOME: home }, encoding: 'utf8' });
      expect(none.status).toBe(2);
      expect(none.stderr).toMatch(/set WORK_DIR \(or SCRATCH\)/);
      const noDist = spawnSync('bash', [sbatch], {
        env: { ...envBase, DQM_EXPORT_HOME: join(home, 'nowhere'), WORK_DIR: scratch },
        encoding: 'utf8',
      });
      expect(noDist.status).toBe(2);
      expect(noDist.stderr).toMatch(/not found: run npm ci/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it.each([
    [0, 0],
    [3, 0],
    [1, 1],
    [2, 2],
  ])('kubernetes: the CLI exiting %i makes the pod exit %i', (cli, pod) => {
    const job = parse(read('deploy/kubernetes/indexed-job.yaml'));
    const [sh, flag, script] = job.spec.template.spec.containers[0].command as string[];
    const home = fakeCheckout(cli);
    try {
      const r = spawnSync(sh, [flag, script], {
        cwd: home,
        env: { PATH: process.env.PATH ?? '', JOB_COMPLETION_INDEX: '2' },
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(pod);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('htcondor: 0, 2 and 3 leave the queue, 1 is retried; the token is in no argument or environment line', () => {
    const text = read('deploy/htcondor/export.sub');
    expect(/^on_exit_remove\s*=\s*(.*)$/m.exec(text)?.[1]).toBe(
      '(ExitCode == 0) || (ExitCode == 2) || (ExitCode == 3)',
    );
    expect(text).toMatch(/^max_retries\s*=\s*[1-9]/m);
    expect(text).toMatch(/^transfer_executable\s*=\s*false$/m);
    for (const line of text.split('\n').filter((l) => /^(arguments|environment)\s*=/.test(l)))
      expect(line).not.toMatch(/TOKEN|token/);
  });

  it('each example documents the same meaning for each exit code', () => {
    for (const rel of [
      'deploy/htcondor/export.sub',
      'deploy/kubernetes/indexed-job.yaml',
      'deploy/slurm/export.sbatch',
    ]) {
      const text = read(rel);
      expect(text, rel).toMatch(/#\s+0\s+the shard is complete/);
      expect(text, rel).toMatch(/#\s+3\s+(the shard is )?complete(,| and) some records (were )?rejected/);
      expect(text, rel).toMatch(/#\s+1\s+failed/);
      expect(text, rel).toMatch(/#\s+2\s+invalid pipeline, plan or usage/);
    }
  });
});
