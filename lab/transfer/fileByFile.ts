/**
 * The CLI's way of pushing a sample template, on top of the push client (client.ts, which it does
 * not change): the probe's health first, then file by file, each hashed just before it is sent, with
 * a stop that cuts into the hashing and an undo that deletes what was stored. Used by lab:push and
 * lab:smoke.
 */
import { createHash } from "node:crypto";
import { httpRequest, type ProbeAccess } from "./http.js";
import { notYet, ready, waitFor } from "../wait.js";
import { FileGenerator, chunkBuffer, type SampleTemplate, type TemplateFile } from "./sample.js";
import { PROBE_PREFIX, PushError, explainSocketError, fileUrl, pushTemplate, type FileResult, type PushResult } from "./client.js";
import { formatProgress } from "./progress.js";

export interface FileByFileOptions extends ProbeAccess {
  readonly to: string;
  /** Host header, e.g. the registry's hostname when pushing through the Ingress on 127.0.0.1. */
  readonly host?: string;
  readonly template: SampleTemplate;
  readonly signal: AbortSignal;
  /** Collects each file the probe stored, as it is stored. */
  readonly committed?: FileResult[];
  /** One progress line (checksum or transfer). */
  readonly show?: (line: string) => void;
  /** When the run started: the result's time is the wall time from here, checksums included. */
  readonly startedAt?: number;
  /** The file now on the wire, or undefined between files. */
  readonly onFile?: (file: TemplateFile | undefined) => void;
}

/**
 * Asks the probe's health endpoint before anything else, so a wrong --to is one line within
 * seconds, not after hashing gigabytes and three retries.
 */
export async function checkProbe(to: string, host?: string, access: ProbeAccess = {}): Promise<void> {
  const url = `${to}${PROBE_PREFIX}/healthz`;
  let status: number;
  try {
    ({ status } = await httpRequest(url, { timeoutMs: 5000, host, ...access }));
  } catch (error) {
    throw explainSocketError(error as NodeJS.ErrnoException, url, 5000);
  }
  if (status !== 200)
    throw new PushError(`${url} answered HTTP ${status}, not the transfer probe's health; give the registry's probe port or Ingress as --to (e.g. http://127.0.0.1:8087), without ${PROBE_PREFIX}`, false, status);
}

/** The sha256 of one sample file, generated again; stops at the next chunk once `signal` aborts. */
export async function fileDigest(template: SampleTemplate, file: TemplateFile, signal: AbortSignal, onBytes: (n: number) => void): Promise<string> {
  const hash = createHash("sha256");
  const generator = new FileGenerator(template, file);
  const scratch = chunkBuffer();
  for (let i = 1; ; i++) {
    signal.throwIfAborted();
    const chunk = generator.next(scratch);
    if (chunk.length === 0) break;
    hash.update(chunk);
    onBytes(chunk.length);
    // Let timers, progress and signals run every 16 MiB.
    if (i % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  return hash.digest("hex");
}

/** One file of the template as a template of its own: same name, seed and bytes, so the same URL. */
function onlyFile(template: SampleTemplate, file: TemplateFile): SampleTemplate {
  return { ...template, files: [file] };
}

/**
 * Pushes file by file, each hashed just before it is sent, so the first byte leaves at once (the
 * config yaml is tiny) instead of after hashing the whole template; the probe still commits only
 * bytes whose sha256 matches the one declared. `committed` collects what the probe stored, so a
 * stop can remove exactly that.
 */
export async function pushFileByFile(options: FileByFileOptions): Promise<PushResult> {
  const { to, host, template, signal, token, ca, insecure } = options;
  const committed = options.committed ?? [];
  const startedAt = options.startedAt ?? Date.now();
  const show = options.show ?? (() => undefined);
  let done = 0;
  let checksumMs = 0;
  for (const file of template.files) {
    const hashStart = Date.now();
    let hashed = 0;
    let lastShown = 0;
    const sha256 = await fileDigest(template, file, signal, (n) => {
      hashed += n;
      if (Date.now() - lastShown > 250) {
        lastShown = Date.now();
        show(`checksum of ${file.path} ${Math.floor((hashed / file.size) * 100)}%`);
      }
    });
    checksumMs += Date.now() - hashStart;
    options.onFile?.(file);
    const result = await pushTemplate({
      to,
      host,
      token,
      ca,
      insecure,
      template: onlyFile(template, file),
      signal,
      digests: new Map([[file.path, sha256]]),
      onProgress: (p) =>
        show(formatProgress({ ...p, totalBytes: done + p.totalBytes, totalSize: template.totalSize, elapsedMs: Date.now() - startedAt - checksumMs })),
      onRetry: (path, attempt, error) => show(`retrying ${path} (attempt ${attempt + 1}): ${error.message}`),
    });
    committed.push(...result.files);
    options.onFile?.(undefined);
    done += file.size;
  }
  const seconds = (Date.now() - startedAt) / 1000;
  return { files: committed, bytes: done, seconds, bytesPerSecond: seconds > 0 ? done / seconds : 0, checksumSeconds: checksumMs / 1000 };
}

/**
 * The undo of a stopped push: DELETE what this run had committed, so nothing of it stays. The file
 * that was on the wire may have been committed by the probe in the moment the stop cut the
 * connection (its whole body had arrived), so it is deleted too, and checked again until it stays
 * gone for a moment (HEAD 404 twice, 100 ms apart, within a second).
 */
export async function removeStored(
  where: { readonly to: string; readonly host?: string; readonly template: SampleTemplate } & ProbeAccess,
  committed: readonly FileResult[],
  inFlight: TemplateFile | undefined,
): Promise<number> {
  const { to, host, template, token, ca, insecure } = where;
  const access = { host, token, ca, insecure };
  const remove = async (file: TemplateFile) =>
    (await httpRequest(fileUrl(to, template, file), { method: "DELETE", timeoutMs: 5000, ...access }).catch(() => ({ status: 0 }))).status === 200;
  let removed = 0;
  for (const f of committed) if (await remove(template.files.find((t) => t.path === f.path)!)) removed++;
  if (inFlight) {
    const url = fileUrl(to, template, inFlight);
    let absent = 0;
    // Gone twice in a row, within a second; past the deadline the undo has done what it could.
    await waitFor(
      `${inFlight.path} to stay gone`,
      async () => {
        const { status } = await httpRequest(url, { method: "HEAD", timeoutMs: 1000, ...access }).catch(() => ({ status: 0 }));
        if (status === 200) {
          if (await remove(inFlight)) removed++;
          absent = 0;
        } else absent++;
        return absent >= 2 ? ready(true) : notYet(`HEAD ${status}`);
      },
      { timeoutMs: 1000, intervalMs: 100 },
    ).catch(() => undefined);
  }
  return removed;
}

