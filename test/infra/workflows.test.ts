// The GitHub workflows: CI compiles the Bicep (no compiler runs on the project's own machines) and
// runs the same test command as .ci/run; azd previews the provisioning only with Azure variables.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../../scripts/paths.js';

interface Step {
  name?: string;
  run?: string;
  uses?: string;
  if?: string;
  env?: Record<string, string>;
}
interface Workflow {
  jobs: Record<string, { env?: Record<string, string>; steps: Step[] }>;
}

const ci = parse(readFileSync(join(ROOT, '.github', 'workflows', 'ci.yml'), 'utf8')) as Workflow;
const runs = (job: string): string[] => (ci.jobs[job]?.steps ?? []).flatMap((s) => s.run ?? []);

describe('.github/workflows/ci.yml', () => {
  it('tests with the README command', () => {
    expect(runs('test')).toEqual(expect.arrayContaining(['npm ci', 'npm test']));
  });

  it('compiles and lints infra/main.bicep', () => {
    const bicep = runs('bicep');
    expect(bicep.some((run) => /^az bicep build --file infra\/main\.bicep\b/.test(run))).toBe(true);
    expect(bicep.some((run) => /^az bicep lint --file infra\/main\.bicep\b/.test(run))).toBe(true);
  });

  it('lint fails on the secret-handling rules (az bicep lint exits non-zero only on errors)', () => {
    const config = JSON.parse(readFileSync(join(ROOT, 'infra', 'bicepconfig.json'), 'utf8')) as {
      analyzers: { core: { enabled: boolean; rules: Record<string, { level: string }> } };
    };
    expect(config.analyzers.core.enabled).toBe(true);
    for (const rule of [
      'outputs-should-not-contain-secrets',
      'secure-parameter-default',
      'secure-secrets-in-params',
      'use-secure-value-for-secure-inputs',
      'protect-commandtoexecute-secrets',
      'no-hardcoded-env-urls',
    ]) {
      expect(config.analyzers.core.rules[rule]?.level, rule).toBe('error');
    }
  });

  it('previews the provisioning with azd only when the repository has Azure variables', () => {
    const job = ci.jobs.bicep;
    const preview = job?.steps.find((step) => /^azd provision --preview\b/.test(step.run ?? ''));
    expect(preview?.if).toBe("env.HAS_AZURE == 'true'");
    expect(job?.env?.HAS_AZURE).toMatch(/vars\.AZURE_CLIENT_ID != ''/);
    for (const name of [
      'AZURE_TENANT_ID',
      'AZURE_SUBSCRIPTION_ID',
      'AZURE_ENV_NAME',
      'AZURE_LOCATION',
    ]) {
      expect(job?.env?.HAS_AZURE).toContain(`vars.${name} != ''`);
    }
    // Every Azure step is skipped without them, compile and lint are not.
    for (const step of job?.steps ?? []) {
      const needsAzure = /azd|setup-azd/.test(`${step.run ?? ''}${step.uses ?? ''}`);
      expect(step.if === "env.HAS_AZURE == 'true'", step.run ?? step.uses).toBe(needsAzure);
    }
  });
});

describe('.github/workflows/deploy.yml', () => {
  const deploy = parse(
    readFileSync(join(ROOT, '.github', 'workflows', 'deploy.yml'), 'utf8'),
  ) as Workflow;
  const parameters = readFileSync(join(ROOT, 'infra', 'main.parameters.json'), 'utf8');
  // The variables infra/main.parameters.json reads, but the environment's name and location (the
  // job's own env).
  const read = [...parameters.matchAll(/\$\{([A-Z_]+)(?:=[^}]*)?\}/g)]
    .map((m) => m[1] ?? '')
    .filter((name) => name !== 'AZURE_ENV_NAME' && name !== 'AZURE_LOCATION')
    .sort();

  it('passes every optional infra parameter that is set as a repository variable', () => {
    const steps = Object.values(deploy.jobs).flatMap((job) => job.steps);
    const pass = steps.find((step) => step.env && /GITHUB_ENV/.test(step.run ?? ''));
    expect(read.length).toBeGreaterThan(8);
    // From the repository's variables into the step …
    expect(Object.keys(pass?.env ?? {}).sort()).toEqual(read);
    for (const name of read) expect(pass?.env?.[name]).toBe(`\${{ vars.${name} }}`);
    // … and on to azd, when set.
    const looped = /for name in ([^;]+);/.exec(pass?.run ?? '')?.[1] ?? '';
    expect(
      looped
        .split(/[\s\\]+/)
        .filter(Boolean)
        .sort(),
    ).toEqual(read);
  });
});
