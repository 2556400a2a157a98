#!/usr/bin/env node
// Replays apps/<app>/Dockerfile without a Docker engine, as closely as a plain host allows:
//   build stage   copy the repo minus .dockerignore into a temp "context", apply the stage's
//                 ENV/ARG, run its RUN steps there (npm ci, nx build) with the host's node/npm;
//   runtime stage copy only what its COPY --from=build lines name into a second temp dir,
//                 then run its ENTRYPOINT there as uid 10001 (setpriv, when root) with the
//                 config defaults, on free ports (variables the app reads are passed through
//                 from this environment, TLS material and the gateway's JWKS from
//                 `npm run deploy:secrets` if not), call grpc.health.v1.Health/Check over h2c and GET
//                 /healthz on the admin port, keep it up for a few seconds, then send SIGTERM
//                 and time the exit.
// It proves the build steps and that the runtime stage's file set is enough to start; it does not
// prove the base images, the non-root file permissions inside them, or the read-only root fs.
//   node tools/deploy-check/dockerfile-dryrun.mjs [app=gateway] [--keep] [--observe-ms 6000] [--allow-lock-drift]
// --allow-lock-drift: if `npm ci` refuses an out-of-sync lockfile, report it and carry on with
// `npm install` in the temp copy, so the later steps can still be checked (the run still fails).
// Needs network access to the npm registry (npm ci). Exit 0 on success, 1 on failure.
import { spawn, spawnSync } from 'node:child_process';
import { connect as h2connect } from 'node:http2';
import { createServer } from 'node:net';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appConfigs } from './src/app-env.mjs';
import { parseDockerfile, stagesOf } from './src/dockerfile.mjs';

const args = process.argv.slice(2);
const app = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a)) ?? 'gateway';
const keep = args.includes('--keep');
const allowLockDrift = args.includes('--allow-lock-drift');
const observeIdx = args.indexOf('--observe-ms');
const observeMs = observeIdx >= 0 ? Number(args[observeIdx + 1]) : 6000;
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const config = appConfigs(repoRoot)[app];
if (!config) {
  console.error(`unknown app ${app}; one of ${Object.keys(appConfigs(repoRoot)).join(', ')}`);
  process.exit(1);
}
const dockerfile = join(repoRoot, 'apps', app, 'Dockerfile');
const stages = stagesOf(parseDockerfile(readFileSync(dockerfile, 'utf8')));
const [build, runtime] = [stages[0], stages.at(-1)];
const work = mkdtempSync(join(tmpdir(), `dryrun-${app}-`));
const log = (m) => console.log(`[dryrun ${app}] ${m}`);
let failed = false;

/** .dockerignore patterns as predicates on a repo-relative path (no `!` exceptions: none used). */
function ignoreMatcher() {
  const file = join(repoRoot, '.dockerignore');
  const pats = existsSync(file) ? readFileSync(file, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#')) : [];
  if (pats.some((p) => p.startsWith('!'))) log('warning: `!` exceptions in .dockerignore are not replayed');
  const toRe = (p) => new RegExp(`^${p.replace(/^\//, '').replace(/\/$/, '').split('**/').map((seg) => seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')).join('(?:.*/)?')}(?:/.*)?$`);
  const res = pats.filter((p) => !p.startsWith('!')).map(toRe);
  return (rel) => res.some((re) => re.test(rel));
}

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    }).on('error', rej);
  });
}

/** grpc.health.v1.Health/Check {service: ""} over h2c, by hand: no gRPC library needed. */
function grpcHealth(port) {
  return new Promise((res, rej) => {
    const client = h2connect(`http://127.0.0.1:${port}`);
    client.on('error', rej);
    const req = client.request({ ':method': 'POST', ':path': '/grpc.health.v1.Health/Check', 'content-type': 'application/grpc', te: 'trailers' });
    const chunks = [];
    let grpcStatus = null;
    req.on('trailers', (t) => { grpcStatus = t['grpc-status']; });
    req.on('response', (h) => { if (h['grpc-status'] != null) grpcStatus = h['grpc-status']; });
    req.on('data', (d) => chunks.push(d));
    req.on('error', rej);
    req.on('end', () => {
      client.close();
      const body = Buffer.concat(chunks);
      if (grpcStatus !== '0') return res(`grpc-status ${grpcStatus}`);
      // 5-byte frame header, then HealthCheckResponse: field 1 (status) varint
      const msg = body.subarray(5);
      const status = msg[0] === 0x08 ? msg[1] : 0;
      res(['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'][status] ?? `status ${status}`);
    });
    req.setTimeout(3000, () => { req.close(); rej(new Error('timeout')); });
    req.end(Buffer.from([0, 0, 0, 0, 0]));
  });
}

function sh(cmd, opts) {
  log(`$ ${cmd}`);
  const r = spawnSync('/bin/sh', ['-c', cmd], { stdio: 'inherit', ...opts });
  if (r.status !== 0) throw new Error(`step failed (exit ${r.status}): ${cmd}`);
}

try {
  // ---- build stage
  const context = join(work, 'context');
  const ignored = ignoreMatcher();
  let buildDir = context;
  const env = { ...process.env };
  for (const ins of build.instructions) {
    if (ins.op === 'WORKDIR') continue; // the context copy stands in for the stage's WORKDIR
    if (ins.op === 'ENV' || ins.op === 'ARG') {
      for (const m of ins.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g)) env[m[1]] = m[2].replace(/^"|"$/g, '');
    } else if (ins.op === 'COPY') {
      if (!/^\.\s+\.$/.test(ins.args.replace(/--\S+\s+/g, ''))) throw new Error(`cannot replay COPY ${ins.args}`);
      log(`COPY . . (repo minus .dockerignore) -> ${context}`);
      cpSync(repoRoot, context, { recursive: true, filter: (src) => { const rel = relative(repoRoot, src); return rel === '' || !ignored(rel); } });
      buildDir = context;
    } else if (ins.op === 'RUN') {
      const cmd = ins.args.replace(/^(--\S+\s+)+/, '');
      if (/npm install --global npm@/.test(cmd)) {
        log(`skip "${cmd}" (host npm ${spawnSync('npm', ['--version'], { encoding: 'utf8' }).stdout.trim()} is used)`);
        continue;
      }
      try {
        sh(cmd, { cwd: buildDir, env });
      } catch (e) {
        if (!(allowLockDrift && /\bnpm ci\b/.test(cmd))) throw e;
        failed = true;
        log('FAIL: npm ci refused the lockfile (a real docker build would stop here); continuing with npm install');
        sh(cmd.replace(/\bnpm ci\b/, 'npm install --no-audit --no-fund'), { cwd: buildDir, env });
      }
    }
  }

  // ---- runtime stage
  const rootfs = join(work, 'runtime');
  let appDir = rootfs;
  const runEnv = { PATH: process.env.PATH, HOME: '/tmp' };
  let entry = null;
  let user = null;
  for (const ins of runtime.instructions) {
    if (ins.op === 'WORKDIR') appDir = join(rootfs, ins.args);
    else if (ins.op === 'ENV') for (const m of ins.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g)) runEnv[m[1]] = m[2].replace(/^"|"$/g, '');
    else if (ins.op === 'COPY') {
      const m = /--from=\S+\s+(\S+)\s+(\S+)/.exec(ins.args);
      if (!m) throw new Error(`runtime COPY without --from: ${ins.args}`);
      const src = join(context, relative(build.instructions.find((i) => i.op === 'WORKDIR')?.args ?? '/', m[1]));
      const dst = join(appDir, m[2]);
      log(`COPY --from=build ${m[1]} -> ${relative(rootfs, dst)}`);
      mkdirSync(dst, { recursive: true });
      cpSync(src, dst, { recursive: true });
    } else if (ins.op === 'USER') user = ins.args;
    else if (ins.op === 'ENTRYPOINT' || ins.op === 'CMD') entry = JSON.parse(ins.args);
  }
  // The image's ENV stands; what else the app reads may come from here (AUTH_JWKS_FILE=...),
  // and it listens on free ports unless they are given.
  for (const k of config.reads) if (process.env[k] != null && !(k in runEnv)) runEnv[k] = process.env[k];
  // Production (the image's NODE_ENV) refuses to start without TLS material, the gateway without
  // an identity provider: unless given here, the local deployment's (npm run deploy:secrets),
  // copied where uid 10001 can read them.
  const deployed = join(repoRoot, 'k8s/overlays/kind/secrets');
  const local = {};
  if (existsSync(join(deployed, 'tls', app))) {
    cpSync(join(deployed, 'tls', app), join(work, 'tls'), { recursive: true });
    Object.assign(local, { TLS_CA_FILE: join(work, 'tls/ca.crt'), TLS_CERT_FILE: join(work, 'tls/tls.crt'), TLS_KEY_FILE: join(work, 'tls/tls.key') });
  }
  if (config.reads.has('AUTH_JWKS_FILE') && !runEnv.AUTH_JWKS_URL && existsSync(join(deployed, 'auth/jwks.json'))) {
    cpSync(join(deployed, 'auth/jwks.json'), join(work, 'jwks.json'));
    Object.assign(local, { AUTH_JWKS_FILE: join(work, 'jwks.json'), AUTH_ISSUER: 'order-system-dev', AUTH_AUDIENCE: 'order-system' });
  }
  for (const [k, v] of Object.entries(local)) runEnv[k] ??= v;
  for (const v of config.listens) runEnv[v] ??= String(await freePort());
  let cmd = entry;
  if (user && process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0) {
    const [uid, gid = uid] = user.split(':');
    spawnSync('chmod', ['-R', 'a+rX', work]);
    spawnSync('chmod', ['a+x', work]);
    cmd = ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', ...entry];
    log(`running as USER ${user} via setpriv`);
  }
  log(`start: ${cmd.join(' ')} (cwd ${relative(rootfs, appDir) || '/'})`);
  const child = spawn(cmd[0], cmd.slice(1), { cwd: appDir, env: runEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; process.stdout.write(d); });
  child.stderr.on('data', (d) => { output += d; process.stderr.write(d); });
  const exited = new Promise((res) => child.on('exit', (code, signal) => res({ code, signal, at: performance.now() })));
  const observed = new Promise((res) => setTimeout(() => res(null), observeMs));
  const probes = (async () => {
    await new Promise((res) => setTimeout(res, Math.min(2000, observeMs / 2)));
    const health = await grpcHealth(Number(runEnv.GRPC_PORT)).catch((e) => `error: ${e.message}`);
    log(`grpc.health.v1.Health/Check on :${runEnv.GRPC_PORT} -> ${health}`);
    if (health !== 'SERVING') { failed = true; log('FAIL: gRPC health is not SERVING (with its infrastructure down, a dependency check may be why)'); }
    const http = await fetch(`http://127.0.0.1:${runEnv.ADMIN_PORT}/healthz`).then((r) => `${r.status}`, (e) => `error: ${e.cause?.code ?? e.message}`);
    log(`GET :${runEnv.ADMIN_PORT}/healthz -> ${http}`);
    if (http !== '200') { failed = true; log('FAIL: GET /healthz did not answer 200'); }
  })();
  const early = await Promise.race([exited, observed]);
  await Promise.race([probes, exited]);
  if (early) {
    failed = true;
    log(`FAIL: exited after start (code ${early.code}, signal ${early.signal}) within ${observeMs} ms`);
  } else {
    log(`still running after ${observeMs} ms; sending SIGTERM`);
    const t0 = performance.now();
    child.kill('SIGTERM');
    const limit = Number(runEnv.SHUTDOWN_TIMEOUT_MS ?? config.defaults.SHUTDOWN_TIMEOUT_MS) + 2000;
    const done = await Promise.race([exited, new Promise((res) => setTimeout(() => res(null), limit))]);
    if (!done) {
      failed = true;
      child.kill('SIGKILL');
      log(`FAIL: no exit within ${limit} ms of SIGTERM`);
    } else {
      log(`exited ${done.code ?? done.signal} ${Math.round(done.at - t0)} ms after SIGTERM`);
      if (done.code !== 0) { failed = true; log('FAIL: non-zero exit after SIGTERM'); }
    }
  }
  if (!/"level"/.test(output)) log('note: no JSON log line seen on stdout/stderr');
} catch (e) {
  failed = true;
  log(`FAIL: ${e.message}`);
} finally {
  if (keep) log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
log(failed ? 'dry run FAILED' : 'dry run passed');
process.exit(failed ? 1 : 0);
