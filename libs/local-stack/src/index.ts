import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { localStackConfig } from './config.js';

/**
 * The local stack's generated credentials, as tools/infra writes them on
 * first start (components/secrets.sh): passwords in secrets/local.env, the
 * project CA and a certificate per service in tls/. For the tools and tests
 * that run the stack; the services themselves only ever get environment
 * variables.
 */
const repoRoot = path.resolve(import.meta.dirname, '../../..');

/**
 * $INFRA_DIR as tools/infra/lib.sh chooses it: the checkout's .infra, or, when
 * run as root in a checkout closed to other users (the `postgres` OS user must
 * reach the data), a folder under /var/tmp named after the checkout.
 */
export function infraDir(root = repoRoot): string {
  const given = localStackConfig().infraDir;
  if (given) return path.resolve(given);
  if (process.getuid?.() !== 0 || openToOthers(root)) return path.join(root, '.infra');
  return `/var/tmp/order-system-${createHash('sha256').update(root).digest('hex').slice(0, 8)}`;
}

/** Whether every folder from / down to dir that exists lets other users through (o+x). */
export function openToOthers(dir: string): boolean {
  for (let d = path.resolve(dir); d !== path.dirname(d); d = path.dirname(d)) {
    if (existsSync(d) && (statSync(d).mode & 0o001) === 0) return false;
  }
  return true;
}

let loaded: Record<string, string> | undefined;

/** The generated passwords (POSTGRES_SUPERUSER_PASSWORD, KAFKA_ADMIN_PASSWORD...), read once. */
export function localSecrets(): Record<string, string> {
  if (loaded) return loaded;
  const file = path.join(infraDir(), 'secrets/local.env');
  if (!existsSync(file)) throw new Error(`${file} is missing: start the local infrastructure first (npm run infra:up)`);
  loaded = Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => /^([A-Z0-9_]+)=(.*)$/.exec(line.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );
  return loaded;
}

/** The CA, and a name's certificate and key, as files (the names: the four services, kafka, operator). */
export function tlsFiles(name: string) {
  const dir = path.join(infraDir(), 'tls');
  return { ca: path.join(dir, 'ca.crt'), cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
}

/** The Kafka principal of a service or tool: its user name and password. */
export function kafkaPrincipal(name: 'admin' | 'inventory' | 'payment' | 'order-store' | 'dlt') {
  const key = `KAFKA_${name.toUpperCase().replace('-', '_')}_PASSWORD`;
  const password = localSecrets()[key];
  if (!password) throw new Error(`${key} is not in the local secrets`);
  return { username: name, password };
}

/** What each service needs of the local stack: its database role, its Kafka principal, its certificate. */
export function serviceEnv(app: 'gateway' | 'inventory' | 'payment' | 'order-store'): Record<string, string> {
  const s = localSecrets();
  const tls = tlsFiles(app);
  const env: Record<string, string> = { TLS_CA_FILE: tls.ca, TLS_CERT_FILE: tls.cert, TLS_KEY_FILE: tls.key };
  if (app !== 'gateway') {
    const kafka = kafkaPrincipal(app);
    Object.assign(env, { KAFKA_USERNAME: kafka.username, KAFKA_PASSWORD: kafka.password });
  }
  if (app === 'inventory') {
    Object.assign(env, {
      POSTGRES_USER: s.POSTGRES_RUNTIME_USER!,
      POSTGRES_PASSWORD: s.POSTGRES_RUNTIME_PASSWORD!,
      POSTGRES_MIGRATION_USER: s.POSTGRES_MIGRATION_USER!,
      POSTGRES_MIGRATION_PASSWORD: s.POSTGRES_MIGRATION_PASSWORD!,
    });
  }
  return env;
}

/**
 * An operator tool's environment: the process's, over the local stack's
 * credentials for what it does (the dlt tool's Kafka principal, reconcile's
 * read access to PostgreSQL) when the local stack has any. Against another
 * stack, the environment gives them.
 */
export function toolEnv(tool: 'dlt' | 'reconcile' | 'bench', env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (!existsSync(path.join(infraDir(), 'secrets/local.env'))) return env;
  const s = localSecrets();
  const local: Record<string, Record<string, string>> = {
    dlt: { ...kafkaPrincipalEnv('dlt'), TLS_CA_FILE: tlsFiles('operator').ca },
    reconcile: { POSTGRES_USER: s.POSTGRES_RUNTIME_USER!, POSTGRES_PASSWORD: s.POSTGRES_RUNTIME_PASSWORD! },
    // The bench sets a whole system up: databases, topics and ACLs, as the administrator.
    bench: {
      POSTGRES_USER: 'postgres',
      POSTGRES_PASSWORD: s.POSTGRES_SUPERUSER_PASSWORD!,
      POSTGRES_MIGRATION_USER: s.POSTGRES_MIGRATION_USER!,
      ...kafkaPrincipalEnv('admin'),
      TLS_CA_FILE: tlsFiles('operator').ca,
    },
  };
  return { ...local[tool], ...env };
}

const kafkaPrincipalEnv = (name: Parameters<typeof kafkaPrincipal>[0]) => {
  const { username, password } = kafkaPrincipal(name);
  return { KAFKA_USERNAME: username, KAFKA_PASSWORD: password };
};
