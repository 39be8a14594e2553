/** Sizes in the config: a number of bytes, or `512kb`, `4mb`, `1gb` (binary multiples, case-insensitive). */
const units: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

export function parseByteSize(value: number | string): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)$/i.exec(value.trim());
  if (!m) throw new Error(`'${value}' is not a size such as 512kb or 4mb`);
  return Math.floor(Number(m[1]) * units[m[2]!.toLowerCase()]!);
}
