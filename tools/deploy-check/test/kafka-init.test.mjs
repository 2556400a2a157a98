// The tables of the Kafka init script (k8s/overlays/kind/kafka/init.sh, run by the kind Job and
// compose's kafka-init) against the code's: libs/platform/kafka's systemAcls, topicSpecs and
// PRINCIPALS. Neither can change without the other.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PRINCIPALS, systemAcls, topicNames, topicSpecs } from '@order-system/kafka';
import { describe, expect, it } from 'vitest';

const repoRoot = process.env.DEPLOY_CHECK_REPO ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const script = readFileSync(join(repoRoot, 'k8s/overlays/kind/kafka/init.sh'), 'utf8');
/** The rows of `name='...'` in the script, split on blanks. */
const table = (name) => {
  const m = new RegExp(`^${name}='([^']*)'`, 'm').exec(script);
  if (!m) throw new Error(`init.sh has no ${name}='...' table`);
  return m[1].split('\n').map((l) => l.trim()).filter(Boolean).map((l) => l.split(/\s+/));
};

describe('the Kafka init script', () => {
  it('grants exactly systemAcls(topicNames(""))', () => {
    const granted = table('acls').flatMap(([principal, resource, pattern, name, ops]) =>
      ops.split(',').map((op) => `${principal} ${resource} ${pattern} ${name} ${op.toLowerCase()}`),
    );
    // Topics by exact name, groups by prefix, as KafkaClient.ensureAcls grants them.
    const wanted = systemAcls(topicNames('')).flatMap((g) =>
      g.operations.map((op) => `${g.principal} ${g.resource} ${g.resource === 'topic' ? 'literal' : 'prefixed'} ${g.name} ${op}`),
    );
    expect(granted.sort()).toEqual(wanted.sort());
  });
  it('creates the topics of topicSpecs(topicNames("")) and a user per principal', () => {
    const byName = (a, b) => a.topic.localeCompare(b.topic);
    const created = table('topics').map(([topic, partitions]) => ({ topic, partitions: Number(partitions) }));
    expect(created.sort(byName)).toEqual(topicSpecs(topicNames('')).sort(byName));
    expect(table('users').flat()).toEqual([...PRINCIPALS]);
  });
});
