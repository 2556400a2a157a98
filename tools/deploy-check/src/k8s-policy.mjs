// The project's own Kubernetes policies: ../policy/*.rego (package k8s.<check>, conftest-style
// `deny contains msg` rules, each msg "subject: detail"), evaluated by `deploy-check-go k8s-policy`
// with the OPA Go module. Schema, validation and Pod Security are the API server's
// (tools/k8s-server-check).
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runGoHelper } from './tools.mjs';

export const POLICY_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../policy');

/**
 * @param {string} helper the deploy-check-go binary
 * @param {object[]} objects rendered objects
 * @param {{ name: string, overlay?: string }} target
 * @returns {{ check: string, subject: string, ok: boolean, detail?: string }[]} a passing row per check, a failing one per message
 */
export function checkK8sPolicy(helper, objects, target) {
  // Overlays are applied on their own; the base is only ever a building block.
  const input = { target: { name: target.name, overlay: target.overlay ?? null, standalone: target.name !== 'base' }, objects };
  const checks = JSON.parse(runGoHelper(helper, ['k8s-policy', POLICY_DIR], JSON.stringify(input)));
  return Object.entries(checks).sort(([a], [b]) => a.localeCompare(b)).flatMap(([check, messages]) => {
    if (!messages.length) return [{ check, subject: target.name, ok: true }];
    return messages.map((m) => {
      const i = m.indexOf(': ');
      return i < 0 ? { check, subject: target.name, ok: false, detail: m } : { check, subject: m.slice(0, i), ok: false, detail: m.slice(i + 2) };
    });
  });
}
