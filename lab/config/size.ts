/**
 * Kubernetes-style sizes ("20Gi", "512Mi", "1G", "1048576") as byte counts.
 * The suffixes are the quantity suffixes Kubernetes accepts for memory and storage:
 * https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/
 */
const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50 };
const DECIMAL: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15 };

export const SIZE_PATTERN = /^(\d+)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/;
export const SIZE_HINT = "a whole number with an optional unit: Ki, Mi, Gi, Ti (1024-based) or k, M, G, T (1000-based), e.g. 20Gi";

/** Parses a size into bytes; returns undefined when the text is not a size. */
export function parseSize(text: string): number | undefined {
  const match = SIZE_PATTERN.exec(text.trim());
  if (!match) return undefined;
  const unit = match[2];
  const factor = unit === undefined ? 1 : (BINARY[unit] ?? DECIMAL[unit]!);
  const bytes = Number(match[1]) * factor;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Like parseSize, but throws an error that names the bad text and the accepted form. */
export function sizeToBytes(text: string, what = "size"): number {
  const bytes = parseSize(text);
  if (bytes === undefined) throw new Error(`${what} "${text}" is not a size: use ${SIZE_HINT}`);
  return bytes;
}

/** Formats bytes for people: 1.5 GiB, 320 MiB. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}
