import { readdirSync, readFileSync } from 'node:fs';

/** Linux /proc readings: resident memory of a process, CPU time of a process tree. */

const CLOCK_TICKS = 100; // USER_HZ, 100 on every Linux we run on

/** VmRSS of pid in MiB, or undefined once it is gone. */
export function rssMiB(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

interface Stat {
  ppid: number;
  /** user + system time of the process and of its waited-for children, in seconds. */
  cpuS: number;
}

function readStat(pid: number): Stat | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: split after the last ')'.
    const fields = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
    return { ppid: Number(fields[1]), cpuS: (utime! + stime! + cutime! + cstime!) / CLOCK_TICKS };
  } catch {
    return undefined;
  }
}

/** CPU seconds used so far by each root pid together with all its descendants. */
export function treeCpuSeconds(roots: Map<string, number>): Map<string, number> {
  const stats = new Map<number, Stat>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) stats.set(Number(entry), stat);
  }
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of stats) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const sum = (pid: number): number => (stats.get(pid)?.cpuS ?? 0) + (children.get(pid) ?? []).reduce((s, c) => s + sum(c), 0);
  return new Map([...roots].filter(([, pid]) => stats.has(pid)).map(([name, pid]) => [name, sum(pid)]));
}

/** Seconds the machine's CPUs were busy (not idle or waiting) and in all, from /proc/stat. */
export function machineCpuSeconds(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.split(/\s+/).slice(1, 9).map(Number) as number[];
  const busy = user! + nice! + system! + irq! + softirq! + steal!;
  return { busy: busy / CLOCK_TICKS, total: (busy + idle! + iowait!) / CLOCK_TICKS };
}

/** Samples VmRSS of each named pid every intervalMs and keeps the peak. */
export function sampleRss(pids: () => Map<string, number>, intervalMs = 500) {
  const peak = new Map<string, number>();
  const sample = () => {
    for (const [name, pid] of pids()) {
      const mib = rssMiB(pid);
      if (mib !== undefined && mib > (peak.get(name) ?? 0)) peak.set(name, mib);
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    peakMiB: () => new Map(peak),
    stop() {
      sample();
      clearInterval(timer);
    },
  };
}
