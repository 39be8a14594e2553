/** Durations in the config: a number of milliseconds, or `500ms`, `30s`, `10m`, `2h`. */
const units: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

export const durationPattern = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;

export function parseDuration(value: number | string): number {
  if (typeof value === 'number') return value;
  const m = durationPattern.exec(value.trim());
  if (!m) throw new Error(`'${value}' is not a duration such as 500ms, 30s, 10m or 2h`);
  return Math.round(Number(m[1]) * units[m[2]!]!);
}
