// `npm run k8s:server-check` against a real kube-apiserver: the kind overlay passes, and a copy of
// k8s/ with one mistake fails, printing the server's words.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureKubeBinaries } from '../src/kube-server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = process.env.K8S_SERVER_CHECK_REPO ?? resolve(here, '../../..');
const cli = resolve(here, '../src/server-check.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'server-check-test-'));

function serverCheck(dir) {
  const r = spawnSync(process.execPath, [cli, dir], { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** A copy of k8s/ with one text replacement in one file; returns its kind overlay. */
function brokenCopy(name, file, from, to) {
  const k8s = join(scratch, name);
  cpSync(join(repoRoot, 'k8s'), k8s, { recursive: true });
  const path = join(k8s, file);
  const text = readFileSync(path, 'utf8');
  expect(text, `${file} no longer contains what this test changes`).toContain(from);
  writeFileSync(path, text.replace(from, to));
  return join(k8s, 'overlays/kind');
}

describe('k8s:server-check', () => {
  // The first run on a machine builds kube-apiserver, kubectl and etcd (minutes).
  beforeAll(() => ensureKubeBinaries(repoRoot, () => {}), 1_800_000);
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('passes on the kind overlay', () => {
    const r = serverCheck(join(repoRoot, 'k8s/overlays/kind'));
    expect(r.output).toMatch(/server dry run of \d+ objects and \d+ pod templates: accepted/);
    expect(r.status).toBe(0);
  });

  // [what, file under k8s/, text, replacement, what the server must say]
  const mistakes = [
    ['the gateway runs privileged (PodSecurity restricted)', 'base/gateway/deployment.yaml',
      'allowPrivilegeEscalation: false\n            privileged: false', 'allowPrivilegeEscalation: true\n            privileged: true',
      ['pods "deployment-gateway" is forbidden: violates PodSecurity "restricted:latest": privileged (container "gateway" must not set securityContext.privileged=true)']],
    ['a StatefulSet uses the host network', 'overlays/kind/postgres/statefulset.yaml',
      '      automountServiceAccountToken: false\n', '      automountServiceAccountToken: false\n      hostNetwork: true\n',
      ['Warning: would violate PodSecurity "restricted:latest": host namespaces (hostNetwork=true)',
        'pods "statefulset-postgres" is forbidden: violates PodSecurity "restricted:latest": host namespaces (hostNetwork=true)']],
    ['a field name is misspelt', 'base/payment/deployment.yaml', 'readOnlyRootFilesystem: true', 'readOnlyRootFileSystem: true',
      ['.spec.template.spec.containers[name="payment"].securityContext.readOnlyRootFileSystem: field not declared in schema']],
  ];
  it.each(mistakes)('fails when %s', (what, file, from, to, said) => {
    const r = serverCheck(brokenCopy(what.replaceAll(/\W+/g, '-'), file, from, to));
    expect(r.status).toBe(1);
    for (const words of said) expect(r.output).toContain(words);
  });
});
