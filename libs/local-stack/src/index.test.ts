import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { infraDir, openToOthers } from './index.js';

const libSh = path.resolve(import.meta.dirname, '../../../tools/infra/lib.sh');

/** tools/infra/lib.sh's own open_to_others, run on dir. */
function bashOpenToOthers(dir: string): boolean {
  const script = `source <(sed -n '/^open_to_others()/,/^}/p' "$1") && open_to_others "$2"`;
  try {
    execFileSync('bash', ['-c', script, 'bash', libSh, dir]);
    return true;
  } catch {
    return false;
  }
}

describe('where the local stack keeps its data', () => {
  const base = mkdtempSync(path.join(tmpdir(), 'local-stack-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('applies tools/infra’s rule: through a sticky /tmp, not through a folder closed to others', () => {
    const open = path.join(base, 'open', 'checkout');
    const closed = path.join(base, 'closed', 'checkout');
    mkdirSync(open, { recursive: true, mode: 0o755 });
    mkdirSync(closed, { recursive: true, mode: 0o755 });
    chmodSync(base, 0o755);
    chmodSync(path.join(base, 'closed'), 0o700);
    for (const [dir, expected] of [[open, true], [closed, false], ['/tmp', true]] as const) {
      expect({ dir, ts: openToOthers(dir), bash: bashOpenToOthers(dir) }).toEqual({ dir, ts: expected, bash: expected });
    }
  });

  it('is the checkout’s .infra when it is open to others, or for a user who is not root', () => {
    const given = process.env.INFRA_DIR;
    delete process.env.INFRA_DIR;
    try {
      const open = path.join(base, 'open', 'checkout');
      expect(infraDir(open)).toBe(path.join(open, '.infra'));
      const closed = path.join(base, 'closed', 'checkout');
      const expected = process.getuid?.() === 0 ? /^\/var\/tmp\/order-system-[0-9a-f]{8}$/ : new RegExp(`^${closed}/\\.infra$`);
      expect(infraDir(closed)).toMatch(expected);
    } finally {
      if (given !== undefined) process.env.INFRA_DIR = given;
    }
  });
});
