// Plain-text report: one summary row per (area, target, check), then every failure in full.

function table(rows, headers) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function formatReport({ results, timings, tools }) {
  const groups = new Map();
  for (const r of results) {
    const key = `${r.area}\u0000${r.target}\u0000${r.check}`;
    if (!groups.has(key)) groups.set(key, { area: r.area, target: r.target, check: r.check, pass: 0, fail: 0 });
    const g = groups.get(key);
    if (r.ok) g.pass++;
    else g.fail++;
  }
  const rows = [...groups.values()].map((g) => [g.fail ? 'FAIL' : 'ok', g.area, g.target, g.check, `${g.pass}/${g.pass + g.fail}`]);
  const failures = results.filter((r) => !r.ok);
  const out = [];
  out.push(table(rows, ['result', 'area', 'target', 'check', 'passed']));
  out.push('');
  out.push(`tools: ${Object.entries(tools).map(([k, v]) => `${k} = ${v}`).join('; ') || '(none)'}`);
  out.push(`timings (ms): ${Object.entries(timings).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  out.push('');
  if (failures.length) {
    out.push(`${failures.length} failure(s):`);
    for (const f of failures) out.push(`  FAIL [${f.area} ${f.target} ${f.check}] ${f.subject}: ${f.detail ?? ''}`);
  } else {
    out.push(`all ${results.length} checks passed`);
  }
  return out.join('\n');
}
