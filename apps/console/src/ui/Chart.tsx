import type { MinuteCount } from '../chart.js';

const W = 480;
const H = 180;
const PAD = { top: 10, right: 8, bottom: 22, left: 34 };

/** Paired bars per minute (confirmed, failed), as SVG; the summary is its accessible name. */
export function Chart({ counts }: { counts: MinuteCount[] }) {
  const max = Math.max(1, ...counts.map((c) => Math.max(c.confirmed, c.failed)));
  const top = niceCeil(max);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / counts.length;
  const bar = Math.max(2, slot / 2 - 3);
  const y = (n: number) => PAD.top + plotH - (n / top) * plotH;
  const confirmed = counts.reduce((n, c) => n + c.confirmed, 0);
  const failed = counts.reduce((n, c) => n + c.failed, 0);
  const label = (m: number) => new Date(m).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  const summary = `Last ${counts.length} minutes: ${confirmed} confirmed, ${failed} failed`;
  return (
    <figure>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={summary} data-confirmed={confirmed} data-failed={failed}>
        {[0, top].map((t) => (
          <g key={t}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} class="grid" />
            <text x={PAD.left - 6} y={y(t) + 4} text-anchor="end">
              {t}
            </text>
          </g>
        ))}
        {counts.map((c, i) => {
          const x = PAD.left + i * slot + (slot - 2 * bar - 2) / 2;
          return (
            <g key={c.minute}>
              <rect class="confirmed" x={x} y={y(c.confirmed)} width={bar} height={y(0) - y(c.confirmed)}>
                <title>{`${label(c.minute)}: ${c.confirmed} confirmed`}</title>
              </rect>
              <rect class="failed" x={x + bar + 2} y={y(c.failed)} width={bar} height={y(0) - y(c.failed)}>
                <title>{`${label(c.minute)}: ${c.failed} failed`}</title>
              </rect>
              {i % 2 === counts.length % 2 && (
                <text x={PAD.left + i * slot + slot / 2} y={H - 6} text-anchor="middle">
                  {label(c.minute)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <span class="key confirmed">{confirmed} confirmed</span> <span class="key failed">{failed} failed</span> in the last {counts.length} minutes
      </figcaption>
    </figure>
  );
}

/** The smallest of 1, 2, 5 × 10^n at or above n: a round top for the axis. */
function niceCeil(n: number): number {
  const p = 10 ** Math.floor(Math.log10(n));
  return [1, 2, 5, 10].map((m) => m * p).find((v) => v >= n)!;
}
