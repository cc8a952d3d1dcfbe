import { formatBytes } from "../config/size.js";

/** Where a transfer is: per file and in total. */
export interface Progress {
  readonly file: string;
  readonly fileBytes: number;
  readonly fileSize: number;
  readonly totalBytes: number;
  readonly totalSize: number;
  readonly elapsedMs: number;
}

export function rate(bytes: number, ms: number): number {
  return ms > 0 ? bytes / (ms / 1000) : 0;
}

/** MB/s with decimal megabytes, as curl and most tools report. */
export function formatRate(bytesPerSecond: number): string {
  return `${(bytesPerSecond / 1e6).toFixed(1)} MB/s`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

/** Below this much time or data, a rate is noise (the first line came after a 125-byte yaml: ETA 76h). */
const ETA_AFTER_MS = 2000;
const ETA_AFTER_BYTES = 8 * 2 ** 20;

/** The remaining time, once the rate is known; undefined before. */
export function eta(p: Progress): number | undefined {
  if (p.elapsedMs < ETA_AFTER_MS || p.totalBytes < ETA_AFTER_BYTES) return undefined;
  const speed = rate(p.totalBytes, p.elapsedMs);
  return speed > 0 ? (p.totalSize - p.totalBytes) / speed : undefined;
}

/** One line: file 45% 1.8 GiB/4.0 GiB, total 30%, 512.3 MB/s, ETA 12s (no rate or ETA until they are known). */
export function formatProgress(p: Progress): string {
  const pct = (a: number, b: number) => `${b > 0 ? Math.floor((a / b) * 100) : 100}%`;
  const left = eta(p);
  const speed = left === undefined ? "measuring the rate" : `${formatRate(rate(p.totalBytes, p.elapsedMs))}, ETA ${formatDuration(left)}`;
  return `${p.file} ${pct(p.fileBytes, p.fileSize)} (${formatBytes(p.fileBytes)}/${formatBytes(p.fileSize)}), total ${pct(p.totalBytes, p.totalSize)} of ${formatBytes(p.totalSize)}, ${speed}`;
}
