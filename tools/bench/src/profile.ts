import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';

/**
 * Summaries of V8 .cpuprofile files (node --cpu-prof): self time per function
 * and per area (a package under node_modules, a workspace project, node's own
 * code, GC), with bundle positions mapped back to sources through the
 * bundle's source map when there is one.
 */
interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  service: string;
  file: string;
  total_ms: number;
  /** Share of the profile the thread was not idle. */
  busy_pct: number;
  top_functions: { function: string; where: string; self_ms: number; self_pct_of_busy: number }[];
  top_areas: { area: string; self_ms: number; self_pct_of_busy: number }[];
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

function areaOf(source: string): string {
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
  if (modules) return modules[1]!;
  const project = /(?:^|\/)((?:apps|libs\/platform|libs|tools)\/[^/]+)\//.exec(source);
  if (project) return project[1]!;
  if (source.startsWith('node:')) return 'node (built-in)';
  return source || '(native)';
}

function loadSourceMap(url: string): SourceMap | undefined {
  if (!url.startsWith('file://')) return undefined;
  const file = `${new URL(url).pathname}.map`;
  if (!existsSync(file)) return undefined;
  try {
    return new SourceMap(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return undefined;
  }
}

export function summarizeProfile(file: string, service: string, top = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const maps = new Map<string, SourceMap | undefined>();
  const locate = (frame: CallFrame) => {
    if (!frame.url) return { where: '(native)', area: SPECIAL.has(frame.functionName) ? frame.functionName : '(native)' };
    if (!maps.has(frame.url)) maps.set(frame.url, loadSourceMap(frame.url));
    const entry = maps.get(frame.url)?.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string; originalLine?: number } | undefined;
    if (entry?.originalSource) {
      const source = entry.originalSource.replace(/^.*?(node_modules\/|apps\/|libs\/|tools\/)/, '$1');
      return { where: `${source}:${(entry.originalLine ?? 0) + 1}`, area: areaOf(source) };
    }
    const source = frame.url.replace(/^file:\/\//, '');
    return { where: `${source}:${frame.lineNumber + 1}`, area: areaOf(source) };
  };
  // Native frames (socket writes, crypto...) are charged to the nearest caller outside node's own code.
  const parent = new Map<number, number>();
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const callerOf = (id: number) => {
    for (let at = parent.get(id); at !== undefined; at = parent.get(at)) {
      const frame = nodes.get(at)!.callFrame;
      if (frame.url && !frame.url.startsWith('node:')) return locate(frame);
    }
    return undefined;
  };
  const byFunction = new Map<string, { function: string; where: string; us: number }>();
  const byArea = new Map<string, number>();
  let idle = 0;
  let total = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    total += us;
    if (us === 0) continue;
    if (node.callFrame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    let { where, area } = locate(node.callFrame);
    if (!node.callFrame.url && !SPECIAL.has(node.callFrame.functionName)) {
      const caller = callerOf(node.id);
      if (caller) ({ where, area } = { where: `native, from ${caller.where}`, area: `${caller.area} (native)` });
    }
    const name = node.callFrame.functionName || '(anonymous)';
    const key = `${name} ${where}`;
    const entry = byFunction.get(key) ?? { function: name, where, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
  }
  const busy = total - idle;
  const pct = (us: number) => Math.round((1000 * us) / Math.max(1, busy)) / 10;
  return {
    service,
    file,
    total_ms: Math.round(total / 1000),
    busy_pct: Math.round((1000 * busy) / Math.max(1, total)) / 10,
    top_functions: [...byFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ function: f.function, where: f.where, self_ms: Math.round(f.us / 1000), self_pct_of_busy: pct(f.us) })),
    top_areas: [...byArea]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([area, us]) => ({ area, self_ms: Math.round(us / 1000), self_pct_of_busy: pct(us) })),
  };
}

/** Every .cpuprofile under dir; a file's service is its folder's name (dir/<service>/*.cpuprofile). */
export function summarizeProfiles(dir: string, top?: number): ProfileSummary[] {
  const out: ProfileSummary[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.cpuprofile')) out.push(summarizeProfile(full, path.basename(path.dirname(full)), top));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort((a, b) => a.service.localeCompare(b.service));
}

export function formatProfileSummary(s: ProfileSummary, lines = 8): string {
  const out = [`${s.service}: ${(s.total_ms / 1000).toFixed(1)} s profiled, ${s.busy_pct}% busy (${path.basename(s.file)})`];
  out.push(`  by area: ${s.top_areas.slice(0, 6).map((a) => `${a.area} ${a.self_pct_of_busy}%`).join(', ')}`);
  for (const f of s.top_functions.slice(0, lines)) {
    out.push(`  ${String(f.self_pct_of_busy).padStart(5)}%  ${String(f.self_ms).padStart(6)} ms  ${f.function}  ${f.where}`);
  }
  return out.join('\n');
}
