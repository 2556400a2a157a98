// A throwaway Kubernetes control plane on loopback: etcd and kube-apiserver as child processes,
// and the kubectl of the same release, all built from ../go/go.mod (Go module proxy only).
// Binaries: <repo>/.infra/kube/<version>-<hash of go.mod and go.sum>/, built on first use.
// Keys, token, certificates and etcd data live in a temp dir that stop() removes.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { setPriority, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const KUBE_MODULE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../go');
const PACKAGES = ['k8s.io/kubernetes/cmd/kube-apiserver', 'k8s.io/kubernetes/cmd/kubectl', 'go.etcd.io/etcd/server/v3'];

/** The Kubernetes release pinned in go/go.mod, e.g. v1.36.3. */
export function kubeVersion() {
  const m = /^\s*(?:require\s+)?k8s\.io\/kubernetes (v\d+\.\d+\.\d+)/m.exec(readFileSync(join(KUBE_MODULE_DIR, 'go.mod'), 'utf8'));
  if (!m) throw new Error('go/go.mod does not require k8s.io/kubernetes');
  return m[1];
}

/** The version variables `kubectl version` and the server's /version report (hack/lib/version.sh). */
function ldflags(version) {
  const [major, minor] = version.slice(1).split('.');
  const vars = { gitVersion: version, gitMajor: major, gitMinor: minor, gitTreeState: 'clean' };
  const x = ['k8s.io/client-go/pkg/version', 'k8s.io/component-base/version']
    .flatMap((pkg) => Object.entries(vars).map(([k, v]) => `-X ${pkg}.${k}=${v}`));
  return ['-s', '-w', ...x].join(' ');
}

/**
 * Build kube-apiserver, kubectl and etcd once per go.mod/go.sum; later calls return the cached ones.
 * The cold build takes minutes and ~2.5 GB of Go build cache; it logs to a file, not the terminal.
 * @returns {Promise<{ version: string, apiserver: string, kubectl: string, etcd: string }>}
 */
export async function ensureKubeBinaries(repoRoot, say = console.error) {
  const version = kubeVersion();
  const h = createHash('sha256');
  for (const f of ['go.mod', 'go.sum']) h.update(readFileSync(join(KUBE_MODULE_DIR, f)));
  const root = join(repoRoot, '.infra', 'kube');
  const dir = join(root, `${version}-${h.digest('hex').slice(0, 8)}`);
  const bins = { version, apiserver: join(dir, 'kube-apiserver'), kubectl: join(dir, 'kubectl'), etcd: join(dir, 'etcd') };
  if (existsSync(bins.etcd)) return bins;

  const go = [process.env.GO_BIN, 'go', '/usr/local/go/bin/go'].find((c) => c && spawnSync(c, ['version']).status === 0);
  if (!go) throw new Error('no Go toolchain to build kube-apiserver (looked for $GO_BIN, go on PATH, /usr/local/go/bin/go)');
  mkdirSync(root, { recursive: true });
  const logFile = join(root, `build-${version}.log`);
  say(`building kube-apiserver, kubectl and etcd for Kubernetes ${version} (first run: 5-9 min on 2 cores); log: ${logFile}`);
  const t0 = performance.now();
  // Built in a private temp dir, then renamed into place: a concurrent caller never sees half of it.
  const tmp = mkdtempSync(join(root, '.tmp-'));
  try {
    // A second try when the first fails: a module download cut short is the usual cause.
    let code = await goBuild(go, tmp, version, logFile, 'w');
    if (code !== 0) code = await goBuild(go, tmp, version, logFile, 'a');
    if (code !== 0) throw new Error(`go build failed (exit ${code}); last lines of ${logFile}:\n${tail(logFile)}`);
    renameSync(join(tmp, 'server'), join(tmp, 'etcd')); // go names the go.etcd.io/etcd/server/v3 binary "server"
    renameSync(tmp, dir);
    say(`built them in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  } catch (e) {
    if (!existsSync(bins.etcd)) throw e; // else another process installed the same build meanwhile
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return bins;
}

async function goBuild(go, out, version, logFile, mode) {
  const log = openSync(logFile, mode);
  try {
    const child = spawn(go, ['build', '-v', '-trimpath', '-ldflags', ldflags(version), '-o', `${out}/`, ...PACKAGES], {
      cwd: KUBE_MODULE_DIR,
      // GOTOOLCHAIN=local: never download another Go toolchain; only what go.mod and go.sum pin.
      env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=readonly -buildvcs=false', CGO_ENABLED: '0' },
      stdio: ['ignore', log, log],
    });
    // The build yields the CPU to anything else running (tests, benchmarks).
    try { setPriority(child.pid, 19); } catch { /* not permitted: build at normal priority */ }
    return await new Promise((res, rej) => child.on('error', rej).on('exit', res));
  } finally {
    closeSync(log);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function tail(file, lines = 30) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** GET a URL over HTTPS trusting only `ca`; resolves to the status code, 0 on a connection error. */
function httpsStatus(url, ca, token) {
  return new Promise((resolve) => {
    const req = request(url, { ca, headers: { authorization: `Bearer ${token}` }, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** The PodSecurity default of this server: "restricted" for every namespace that sets no level itself. */
const ADMISSION_CONFIG = `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
  - name: PodSecurity
    configuration:
      apiVersion: pod-security.admission.config.k8s.io/v1
      kind: PodSecurityConfiguration
      defaults: {enforce: restricted, enforce-version: latest, warn: restricted, warn-version: latest, audit: restricted, audit-version: latest}
      exemptions: {usernames: [], runtimeClasses: [], namespaces: []}
`;

/**
 * Start etcd, then kube-apiserver, on free loopback ports; wait until /readyz answers 200.
 * stop() (also run on SIGINT/SIGTERM and at exit) stops kube-apiserver before etcd, then removes
 * the temp dir.
 * @returns {Promise<{ kubectl: (args: string[], input?: string) => import('node:child_process').SpawnSyncReturns<string>, stop: () => Promise<void>, startSeconds: number }>}
 */
export async function startKubeServer(bins, { readyTimeoutMs = 120_000 } = {}) {
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'k8s-server-check-'));
  const children = [];
  let stopping = null;

  const killAll = () => {
    for (const c of [...children].reverse()) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = (sig) => stop().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  process.on('exit', killAll);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  async function stopChild(child) {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timeout = new Promise((r) => setTimeout(r, 10_000, false).unref());
    if (await Promise.race([exited.then(() => true), timeout])) return;
    child.kill('SIGKILL');
    await exited;
  }
  function stop() {
    // kube-apiserver first: stopped after etcd, it retries etcd for minutes before it exits.
    stopping ??= (async () => {
      for (const c of [...children].reverse()) await stopChild(c);
      rmSync(dir, { recursive: true, force: true });
      process.off('exit', killAll);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    })();
    return stopping;
  }

  function start(name, bin, args) {
    const logFile = join(dir, `${name}.log`);
    const log = openSync(logFile, 'w');
    // Its own process group: a Ctrl-C reaches only this process, which stops the servers in order.
    const child = spawn(bin, args, { stdio: ['ignore', log, log], detached: true });
    closeSync(log);
    child.logFile = logFile;
    child.on('error', () => {});
    children.push(child);
    return child;
  }

  async function waitFor(child, what, ready) {
    const deadline = performance.now() + readyTimeoutMs;
    while (performance.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      if (await ready()) return;
      await sleep(200);
    }
    const why = child.exitCode !== null || child.signalCode !== null ? `exited (${child.exitCode ?? child.signalCode})` : `not ready after ${readyTimeoutMs / 1000} s`;
    throw new Error(`${what} ${why}; last lines of its log:\n${tail(child.logFile)}`);
  }

  try {
    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const etcd = start('etcd', bins.etcd, [
      '--name=check', `--data-dir=${join(dir, 'etcd')}`, '--unsafe-no-fsync', '--log-level=warn',
      `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`, `--initial-cluster=check=${peerUrl}`,
    ]);
    await waitFor(etcd, 'etcd', async () => {
      try {
        return (await (await fetch(`${etcdUrl}/health`)).json()).health === 'true';
      } catch {
        return false;
      }
    });

    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    const token = randomBytes(24).toString('hex');
    writeFileSync(join(dir, 'tokens.csv'), `${token},admin,admin,system:masters\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'admission.yaml'), ADMISSION_CONFIG);
    const certDir = join(dir, 'certs');
    const apiserver = start('kube-apiserver', bins.apiserver, [
      `--etcd-servers=${etcdUrl}`, '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${apiPort}`,
      `--cert-dir=${certDir}`, `--token-auth-file=${join(dir, 'tokens.csv')}`, '--authorization-mode=RBAC',
      `--service-account-key-file=${join(dir, 'sa.pub')}`, `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local', '--service-cluster-ip-range=10.96.0.0/16',
      '--endpoint-reconciler-type=none', '--allow-privileged=true', `--admission-control-config-file=${join(dir, 'admission.yaml')}`,
      '--profiling=false',
    ]);
    const server = `https://127.0.0.1:${apiPort}`;
    const caFile = join(certDir, 'apiserver.crt');
    await waitFor(apiserver, 'kube-apiserver', async () => existsSync(caFile) && (await httpsStatus(`${server}/readyz`, readFileSync(caFile), token)) === 200);

    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, JSON.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'check',
      clusters: [{ name: 'check', cluster: { server, 'certificate-authority': caFile } }],
      users: [{ name: 'admin', user: { token } }],
      contexts: [{ name: 'check', context: { cluster: 'check', user: 'admin', namespace: 'default' } }],
    }), { mode: 0o600 });
    const kubectl = (args, input) => spawnSync(bins.kubectl, [`--kubeconfig=${kubeconfig}`, ...args], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    return { kubectl, stop, startSeconds: (performance.now() - t0) / 1000 };
  } catch (e) {
    await stop();
    throw e;
  }
}
