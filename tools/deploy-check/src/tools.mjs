// Offline-capable acquisition of the two native tools, cached per machine:
//   kustomize       `go install sigs.k8s.io/kustomize/kustomize/v5@KUSTOMIZE_VERSION`
//   deploy-check-go `go build` of ../go (compose-go and OPA)
// Both come from the Go module proxy only; once cached, nothing touches the network.
// Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/order-system/bin (override: DEPLOY_CHECK_CACHE_DIR).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** kustomize/v5 v5.8.2 is built on sigs.k8s.io/kustomize/api v0.21.2, the newest that Go 1.26 accepts. */
export const KUSTOMIZE_VERSION = 'v5.8.2';
const GO_HELPER_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../go');

export function cacheDir() {
  if (process.env.DEPLOY_CHECK_CACHE_DIR) return process.env.DEPLOY_CHECK_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'order-system', 'bin');
}

function findGo() {
  for (const candidate of [process.env.GO_BIN, 'go', '/usr/local/go/bin/go']) {
    if (!candidate) continue;
    const r = spawnSync(candidate, ['version'], { encoding: 'utf8' });
    if (r.status === 0) return candidate;
  }
  return null;
}

function goEnv(extra = {}) {
  // GOTOOLCHAIN=local: never download another Go toolchain; GOFLAGS cleared of surprises.
  return { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=readonly -buildvcs=false', CGO_ENABLED: '0', ...extra };
}

/** Build into a private temp dir, then rename into place: concurrent callers never see half a file. */
function installAtomically(target, build) {
  mkdirSync(dirname(target), { recursive: true });
  const tmp = mkdtempSync(join(dirname(target), '.tmp-'));
  try {
    const built = build(tmp);
    renameSync(built, target);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * @returns {{ cmd: string, args: string[], label: string, installed: boolean }} how to run `kustomize build`
 */
export function ensureKustomize() {
  if (process.env.KUSTOMIZE_BIN) {
    return { cmd: process.env.KUSTOMIZE_BIN, args: ['build'], label: `KUSTOMIZE_BIN=${process.env.KUSTOMIZE_BIN}`, installed: false };
  }
  const target = join(cacheDir(), `kustomize-${KUSTOMIZE_VERSION}`);
  let installed = false;
  if (!existsSync(target)) {
    const go = findGo();
    if (!go) {
      // Last resort: the kustomize built into kubectl (a different, older version).
      const k = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
      if (k.status === 0) return { cmd: 'kubectl', args: ['kustomize'], label: 'kubectl kustomize (fallback: no Go toolchain)', installed: false };
      throw new Error('kustomize: no cached binary, no Go toolchain to build one, no kubectl');
    }
    installAtomically(target, (tmp) => {
      execFileSync(go, ['install', `sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}`], {
        env: goEnv({ GOBIN: tmp, GOFLAGS: '' }),
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      return join(tmp, 'kustomize');
    });
    installed = true;
  }
  return { cmd: target, args: ['build'], label: `kustomize ${KUSTOMIZE_VERSION} (${target})`, installed };
}

/** Content hash of the Go helper's sources: a changed helper gets a new cached binary. */
function goHelperHash() {
  const h = createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'main.go']) h.update(f).update(readFileSync(join(GO_HELPER_DIR, f)));
  return h.digest('hex').slice(0, 12);
}

/** @returns {{ path: string, installed: boolean }} */
export function ensureGoHelper() {
  if (process.env.DEPLOY_CHECK_GO_BIN) return { path: process.env.DEPLOY_CHECK_GO_BIN, installed: false };
  const target = join(cacheDir(), `deploy-check-go-${goHelperHash()}`);
  if (existsSync(target)) return { path: target, installed: false };
  const go = findGo();
  if (!go) throw new Error('deploy-check-go: no Go toolchain found (looked for $GO_BIN, go on PATH, /usr/local/go/bin/go)');
  installAtomically(target, (tmp) => {
    const out = join(tmp, 'deploy-check-go');
    execFileSync(go, ['build', '-trimpath', '-o', out, '.'], {
      cwd: GO_HELPER_DIR,
      env: goEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return out;
  });
  return { path: target, installed: true };
}

/** Run the Go helper; returns stdout, throws with stderr on failure. */
export function runGoHelper(helper, args, input) {
  const r = spawnSync(helper, args, { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    const err = new Error((r.stderr || r.stdout || `exit ${r.status}`).trim());
    err.exitCode = r.status;
    throw err;
  }
  return r.stdout;
}
