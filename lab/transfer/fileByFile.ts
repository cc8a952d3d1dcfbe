/**
 * The CLI's way of pushing a sample template, on top of the push client (client.ts): the probe's
 * health first, then the files in order (the next one's bytes while the probe commits the one
 * before), each hashed as it is sent, with progress lines, the wall time, and an undo that deletes
 * what a stopped run stored. Used by lab:push and lab:smoke.
 */
import { httpRequest, type ProbeAccess } from "./http.js";
import { notYet, ready, waitFor } from "../wait.js";
import { type SampleTemplate, type TemplateFile } from "./sample.js";
import { PROBE_PREFIX, PushError, explainSocketError, explainStatus, fileUrl, pushTemplate, redactUrl, type FileResult, type PushResult } from "./client.js";
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
  /**
   * The files begun and not yet stored (at most two: one on the wire, the one before it being
   * committed), kept up to date for a stop's undo.
   */
  readonly inFlight?: Set<TemplateFile>;
}

/**
 * Asks the probe's health endpoint before anything else, so a wrong --to is one line within
 * seconds, not after hashing gigabytes and three retries.
 */
export async function checkProbe(to: string, host?: string, access: ProbeAccess = {}): Promise<void> {
  const url = `${to}${PROBE_PREFIX}/healthz`;
  let status: number;
  let body: string;
  try {
    ({ status, body } = await httpRequest(url, { timeoutMs: 5000, host, ...access }));
  } catch (error) {
    throw explainSocketError(error as NodeJS.ErrnoException, url, 5000);
  }
  // Credentials asked for (an Ingress with basic auth, or the probe's token): the push's own words.
  if (status === 401) throw explainStatus(status, undefined, body);
  if (status !== 200)
    throw new PushError(`${redactUrl(url)} answered HTTP ${status}, not the transfer probe's health; give the registry's probe port or Ingress as --to (e.g. http://127.0.0.1:8087), without ${PROBE_PREFIX}`, false, status);
}

/**
 * Pushes the template file by file; `committed` collects what the probe stored, as it is stored, so
 * a stop can remove exactly that. The result's time is wall time from `startedAt`.
 */
export async function pushFileByFile(options: FileByFileOptions): Promise<PushResult> {
  const { to, host, template, signal, token, ca, insecure } = options;
  const committed = options.committed ?? [];
  const startedAt = options.startedAt ?? Date.now();
  const show = options.show ?? (() => undefined);
  const result = await pushTemplate({
    to,
    host,
    token,
    ca,
    insecure,
    template,
    signal,
    onFile: (file) => options.inFlight?.add(file),
    onStored: (stored) => {
      committed.push(stored);
      for (const file of options.inFlight ?? []) if (file.path === stored.path) options.inFlight!.delete(file);
    },
    // The rate and ETA count from the start of the run, as the final time does.
    onProgress: (p) => show(formatProgress({ ...p, elapsedMs: Date.now() - startedAt })),
    onRetry: (path, attempt, error) => show(`retrying ${path} (attempt ${attempt + 1}): ${error.message}`),
  });
  const seconds = (Date.now() - startedAt) / 1000;
  return { ...result, seconds, bytesPerSecond: seconds > 0 ? result.bytes / seconds : 0 };
}

/**
 * The undo of a stopped push: DELETE what this run had committed, so nothing of it stays. A file
 * that was in flight may have been committed by the probe in the moment the stop cut the
 * connection (its whole body had arrived), so it is deleted too, and checked again until it stays
 * gone for a moment (HEAD 404 twice, 100 ms apart, within a second).
 */
export async function removeStored(
  where: { readonly to: string; readonly host?: string; readonly template: SampleTemplate } & ProbeAccess,
  committed: readonly FileResult[],
  inFlight: Iterable<TemplateFile>,
): Promise<number> {
  const { to, host, template, token, ca, insecure } = where;
  const access = { host, token, ca, insecure };
  const remove = async (file: TemplateFile) =>
    (await httpRequest(fileUrl(to, template, file), { method: "DELETE", timeoutMs: 5000, ...access }).catch(() => ({ status: 0 }))).status === 200;
  let removed = 0;
  for (const f of committed) if (await remove(template.files.find((t) => t.path === f.path)!)) removed++;
  // Each in-flight file is watched at once, beside the others, so the undo takes a second at most.
  await Promise.all(
    [...inFlight].map(async (file) => {
      const url = fileUrl(to, template, file);
      let absent = 0;
      // Gone twice in a row, within a second; past the deadline the undo has done what it could.
      await waitFor(
        `${file.path} to stay gone`,
        async () => {
          const { status } = await httpRequest(url, { method: "HEAD", timeoutMs: 1000, ...access }).catch(() => ({ status: 0 }));
          if (status === 200) {
            if (await remove(file)) removed++;
            absent = 0;
          } else absent++;
          return absent >= 2 ? ready(true) : notYet(`HEAD ${status}`);
        },
        { timeoutMs: 1000, intervalMs: 100 },
      ).catch(() => undefined);
    }),
  );
  return removed;
}

