/**
 * The batch-engine examples in deploy/ stay runnable: the Kubernetes Job parses and is an Indexed Job
 * whose command the CLI accepts, the Slurm script is valid bash, the HTCondor file queues as many jobs
 * as the shard count it documents, and every pipeline they name exists.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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
    expect(container.command.slice(0, 3)).toEqual(['node', 'dist/src/cli/bin.js', 'run']);
    expect(container.command).toContain('--plan');
    expect(container.command).toContain('--resume');
    const token = container.env.find((e: { name: string }) => e.name === 'DQM_PLAYGROUND_TOKEN');
    expect(token.valueFrom.secretKeyRef).toBeDefined();
    expect(token.value).toBeUndefined();
  });

  it('slurm/export.sbatch is valid bash with an array and run --plan', () => {
    execFileSync('bash', ['-n', join(PACKAGE_ROOT, 'deploy/slurm/export.sbatch')]);
    const text = read('deploy/slurm/export.sbatch');
    expect(text).toMatch(/^#SBATCH --array=0-7/m);
    expect(text).toMatch(/run .*pipelines\/pixel-2d\.yaml/);
    expect(text).toContain('--plan');
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
    for (const rel of ['deploy/htcondor/export.sub', 'deploy/kubernetes/indexed-job.yaml', 'deploy/slurm/export.sbatch']) {
      for (const m of read(rel).matchAll(/pipelines\/[\w-]+\.yaml/g)) expect(existsSync(join(PACKAGE_ROOT, m[0])), `${rel}: ${m[0]}`).toBe(true);
    }
  });
});
