// Static checks of apps/<app>/Dockerfile: pinned base images, a non-root final stage, node as
// PID 1, only the bundle in the runtime image. A small parser, no Docker needed.

/** Why an image reference is not pinned (no tag, or :latest), or null when it is. */
export function imageProblem(image) {
  if (!image || typeof image !== 'string') return 'no image';
  if (image.includes('@sha256:')) return null;
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  if (!lastSegment.includes(':')) return `image "${image}" has no tag`;
  const tag = lastSegment.slice(lastSegment.indexOf(':') + 1);
  if (tag === '' || tag === 'latest') return `image "${image}" uses :latest`;
  return null;
}

/** Parse into instructions [{ op, args, line }], joining continuation lines and dropping comments. */
export function parseDockerfile(text) {
  const instructions = [];
  let escape = '\\';
  let buf = '';
  let start = 0;
  const lines = text.split(/\r?\n/);
  let sawInstruction = false;
  let heredoc = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (heredoc) {
      buf += `\n${line}`;
      if (line.trim() === heredoc) {
        heredoc = null;
        flush();
      }
      continue;
    }
    if (!sawInstruction && !buf) {
      const directive = /^#\s*escape\s*=\s*(\S)/i.exec(line);
      if (directive) escape = directive[1];
    }
    if (!buf && /^\s*#/.test(line)) continue;
    if (!buf && !line.trim()) continue;
    if (!buf) start = i + 1;
    if (buf && /^\s*#/.test(line)) continue; // comment inside a continuation
    const trimmed = line.replace(/\s+$/, '');
    if (trimmed.endsWith(escape)) {
      buf += `${trimmed.slice(0, -1)} `;
      continue;
    }
    buf += trimmed;
    const hd = /<<-?["']?([A-Za-z_][A-Za-z0-9_]*)["']?/.exec(buf);
    if (hd && /^\s*(RUN|COPY)\b/i.test(buf)) {
      heredoc = hd[1];
      continue;
    }
    flush();
  }
  if (buf) flush();
  return instructions;

  function flush() {
    const m = /^\s*(\w+)\s*(.*)$/s.exec(buf);
    if (m) {
      instructions.push({ op: m[1].toUpperCase(), args: m[2].trim(), line: start });
      sawInstruction = true;
    }
    buf = '';
  }
}

function substitute(value, vars) {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-+][^}]*)?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (all, a, mod, b) => {
    const v = vars[a ?? b];
    if (mod?.startsWith(':-') || mod?.startsWith('-')) return v || mod.replace(/^:?-/, '');
    return v ?? all;
  });
}

function argDefault(args) {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/s.exec(args.trim());
  if (!m) return null;
  return [m[1], (m[2] ?? '').replace(/^["']|["']$/g, '')];
}

/** Split into stages; resolves FROM images with global ARG defaults. */
export function stagesOf(instructions) {
  const globalArgs = {};
  const stages = [];
  for (const ins of instructions) {
    if (ins.op === 'FROM') {
      const parts = ins.args.split(/\s+/).filter((p) => !p.startsWith('--'));
      const image = substitute(parts[0], globalArgs);
      const alias = parts[1]?.toUpperCase() === 'AS' ? parts[2] : undefined;
      stages.push({ image, rawImage: parts[0], alias, line: ins.line, instructions: [] });
    } else if (!stages.length) {
      if (ins.op === 'ARG') {
        const d = argDefault(ins.args);
        if (d) globalArgs[d[0]] = d[1];
      }
    } else {
      stages.at(-1).instructions.push(ins);
    }
  }
  return stages;
}

/** The script node runs: its first argument that is not a node flag. */
const scriptOf = (argv) => argv.slice(1).find((a) => !a.startsWith('-'));

function execForm(args) {
  try {
    const v = JSON.parse(args);
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : null;
  } catch {
    return null;
  }
}

/**
 * @param {string} text Dockerfile contents
 * @param {string} app the app it builds (for the entry point and the bundle it copies)
 * @returns {{ check: string, subject: string, ok: boolean, detail?: string }[]}
 */
export function checkDockerfile(text, app, subject = `apps/${app}/Dockerfile`) {
  const results = [];
  const push = (check, ok, detail) => results.push({ check, subject, ok, detail });
  const stages = stagesOf(parseDockerfile(text));
  const aliases = new Set(stages.map((s) => s.alias).filter(Boolean));
  const imageProblems = stages
    .filter((s) => !aliases.has(s.image))
    .map((s) => (s.image.includes('$') ? `FROM ${s.rawImage}: unresolved variable` : imageProblem(s.image)))
    .filter(Boolean);
  push('pinned-base-images', imageProblems.length === 0, imageProblems.join('; ') || [...new Set(stages.map((s) => s.image))].join(', '));

  const final = stages.at(-1);
  if (!final) return results;
  const users = final.instructions.filter((i) => i.op === 'USER');
  const user = users.at(-1)?.args.split(':')[0];
  const nonRoot = !!user && !['root', '0'].includes(user);
  push('non-root-user', nonRoot, user ? `USER ${users.at(-1).args}` : 'final stage has no USER (runs as root)');

  const ep = final.instructions.filter((i) => i.op === 'ENTRYPOINT').at(-1);
  const cmd = final.instructions.filter((i) => i.op === 'CMD').at(-1);
  const start = ep ?? cmd;
  const argv = start ? execForm(start.args) : null;
  let startOk = false;
  let startDetail;
  if (!start) startDetail = 'no ENTRYPOINT or CMD';
  else if (!argv) startDetail = `${start.op} uses shell form: /bin/sh would be PID 1, not node`;
  else if (!/(^|\/)node$/.test(argv[0])) startDetail = `${start.op} starts with ${argv[0]}${/npm|yarn|pnpm/.test(argv[0]) ? ' (package managers swallow SIGTERM)' : ''}, not node`;
  else if (![`dist/apps/${app}/main.cjs`, `/app/dist/apps/${app}/main.cjs`].includes(scriptOf(argv))) startDetail = `runs ${scriptOf(argv)}, want dist/apps/${app}/main.cjs`;
  else {
    startOk = true;
    startDetail = `${start.op} ${JSON.stringify(argv)}`;
  }
  push('node-pid-1', startOk, startDetail);

  const envs = final.instructions.filter((i) => i.op === 'ENV').map((i) => i.args).join(' ');
  push('node-env-production', /\bNODE_ENV[= ]["']?production\b/.test(envs), /NODE_ENV/.test(envs) ? envs : 'final stage does not set NODE_ENV=production');

  const copies = final.instructions.filter((i) => i.op === 'COPY' || i.op === 'ADD');
  const fromContext = copies.filter((i) => !/--from=/.test(i.args));
  const bundleCopied = copies.some((i) => /--from=/.test(i.args) && i.args.includes(`dist/apps/${app}`));
  // The bundle loads grpc health/reflection .proto files from <bundle>/../../proto at run time.
  const protoCopied = copies.some((i) => /--from=/.test(i.args) && /dist\/proto\/?\s+dist\/proto/.test(i.args));
  push('runtime-proto-files', protoCopied, protoCopied ? 'copies dist/proto beside dist/apps' : 'runtime stage lacks dist/proto (grpc health/reflection protos read at run time)');
  const slimOk = bundleCopied && fromContext.length === 0 && !final.instructions.some((i) => i.op === 'RUN' && /\bnpm (ci|install|i)\b/.test(i.args));
  push('runtime-only-bundle', slimOk, slimOk ? `copies dist/apps/${app} from the build stage only` : `${bundleCopied ? '' : `bundle dist/apps/${app} not copied from a build stage; `}${fromContext.length ? `copies from the build context: ${fromContext.map((i) => i.args).join(' | ')}` : ''}${final.instructions.some((i) => i.op === 'RUN' && /\bnpm (ci|install|i)\b/.test(i.args)) ? 'installs npm packages in the runtime stage' : ''}`);
  return results;
}

/** .dockerignore keeps what is generated or local (dependencies, builds, caches, keys in .infra) out of the build context. */
export function checkDockerignore(text) {
  const patterns = text.split(/\r?\n/).map((l) => l.trim().replace(/^\*\*\//, '').replace(/^\//, '').replace(/\/$/, '')).filter((l) => l && !l.startsWith('#'));
  const missing = ['node_modules', 'dist', '.infra', '.nx', '.git'].filter((p) => !patterns.includes(p));
  return { check: 'ignores generated paths', subject: '.dockerignore', ok: missing.length === 0, detail: missing.length ? `does not ignore ${missing.join(', ')}` : 'node_modules, dist, .infra, .nx, .git' };
}
