import { Agent, request, type IncomingMessage } from "node:http";
import { fileSha256, writeFileTo, type SampleTemplate, type TemplateFile } from "../template/sample.js";
import { notYet, ready, waitFor } from "../wait.js";
import { rate, type Progress } from "./progress.js";

export const PROBE_PREFIX = "/anka-lab-probe";

export interface PushOptions {
  /** Base URL: the registry LoadBalancer's probe port, or the registry Ingress. */
  readonly to: string;
  readonly template: SampleTemplate;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: Progress) => void;
  readonly onRetry?: (file: string, attempt: number, error: PushError) => void;
  /** Attempts per file; only failures that are safe to retry are retried. */
  readonly attempts?: number;
  /** Abort a file when no byte moved for this long. */
  readonly stallMs?: number;
  /** Base of the exponential backoff between attempts. */
  readonly backoffMs?: number;
  /** Ask the probe for a silent phase of this long after each body (lab:repro idle-timeout). */
  readonly holdMs?: number;
  /** Host header to send, e.g. the registry's hostname when connecting to 127.0.0.1 (Ingress rules match on it). */
  readonly host?: string;
  /** Checksums already known (path -> sha256); the rest are computed by generating the files. */
  readonly digests?: ReadonlyMap<string, string>;
}

export interface FileResult {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  readonly seconds: number;
  readonly attempts: number;
  /** The probe replica that stored it. */
  readonly pod: string;
  /** Seconds between the last byte sent and the answer: a proxy that buffers the body shows here. */
  readonly answerSeconds: number;
}

export interface PushResult {
  readonly files: FileResult[];
  readonly bytes: number;
  readonly seconds: number;
  readonly bytesPerSecond: number;
  readonly checksumSeconds: number;
}

/** A failed transfer, explained in the lab's terms; `retryable` says whether trying again is safe and useful. */
export class PushError extends Error {
  override name = "PushError";
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
  }
}

export function fileUrl(base: string, template: SampleTemplate, file: TemplateFile): string {
  const url = new URL(base);
  const path = `${template.name}/${file.path}`.split("/").map(encodeURIComponent).join("/");
  url.pathname = `${url.pathname.replace(/\/$/, "")}${PROBE_PREFIX}/files/${path}`;
  return url.toString();
}

/** What an HTTP status means on the lab's push path. */
export function explainStatus(status: number, server: string | undefined, body: string): PushError {
  const fromNginx = /nginx/i.test(server ?? "") || /<center>nginx/i.test(body);
  const detail = body.trim().split("\n")[0]?.slice(0, 200) ?? "";
  switch (status) {
    case 413:
      return fromNginx
        ? new PushError('413 from nginx: the Ingress lacks proxy-body-size: "0" (ingress-nginx refuses bodies over 1m by default); the lab\'s registry Ingress sets it, check the annotations on yours', false, 413)
        : new PushError(`413 from the probe: the file is over probe.maxBodySize (${detail})`, false, 413);
    case 504:
      return new PushError(`504 from ${fromNginx ? "nginx" : "a proxy"}: the registry did not answer in time after the body (proxy-read-timeout, 60 s by default); raise ingress.timeoutSeconds`, true, 504);
    case 502:
      return new PushError(`502 from ${fromNginx ? "nginx" : "a proxy"}: the registry side closed the connection (a registry pod restarting?); nothing partial was committed`, true, 502);
    case 503:
      return new PushError("503: no ready registry replica behind the LoadBalancer or Ingress right now", true, 503);
    case 408:
      return new PushError("408 from nginx: the client sent nothing for client_body_timeout (60 s by default)", true, 408);
    case 422:
      return new PushError(`422 from the probe: the bytes that arrived do not match the declared size and sha256, so nothing was stored (${detail})`, true, 422);
    case 404:
      return new PushError(`404: no transfer probe at this URL (${detail}); is probe.enabled true, and is the URL the registry's probe port or Ingress?`, false, 404);
    default:
      return new PushError(`HTTP ${status}${fromNginx ? " from nginx" : ""}: ${detail}`, status >= 500, status);
  }
}

/** What a socket error means on the lab's push path. */
export function explainSocketError(error: NodeJS.ErrnoException, url: string, stallMs: number): PushError {
  switch (error.code) {
    case "ECONNRESET":
    case "EPIPE":
      return new PushError(
        "connection reset mid-transfer: something between you and the registry cut it (an idle timeout such as an AWS NLB's 350 s, or the registry pod went away); nothing partial was committed",
        true,
      );
    case "ECONNREFUSED":
      return new PushError(`nothing listens at ${new URL(url).host}: is the lab up and its tunnel running (npm run lab:status)?`, true);
    case "ENOTFOUND":
      return new PushError(`cannot resolve ${new URL(url).hostname}: add the lab's /etc/hosts entries (npm run lab:up -- --hosts) or use 127.0.0.1`, false);
    case "ETIMEDOUT":
    case "ESTALL":
      return new PushError(`no progress for ${Math.round(stallMs / 1000)} s: the path stalled (request buffering in a proxy, or a dead peer)`, true);
    default:
      return new PushError(`${error.code ?? "error"}: ${error.message}`, true);
  }
}

interface Counted {
  bytes: number;
  lastMove: number;
}

/** One PUT of one file; resolves with the response, or rejects with a PushError. */
async function putOnce(
  url: string,
  options: PushOptions,
  file: TemplateFile,
  sha256: string,
  counted: Counted,
  agent: Agent,
  report: () => void,
): Promise<{ pod: string; answerSeconds: number }> {
  const stallMs = options.stallMs ?? 120_000;
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort(options.signal!.reason);
  options.signal?.addEventListener("abort", onOuterAbort, { once: true });
  const req = request(url, {
    method: "PUT",
    agent,
    signal: abort.signal,
    headers: {
      "content-type": "application/octet-stream",
      "content-length": file.size,
      "x-anka-lab-sha256": sha256,
      ...(options.host ? { host: options.host } : {}),
      ...(options.holdMs ? { "x-anka-lab-hold-ms": String(options.holdMs) } : {}),
    },
  });
  let sentAt = 0;
  let answeredAt = 0;
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.once("response", (res) => {
      answeredAt = Date.now();
      resolve(res);
    });
    req.once("error", reject);
  });
  // The stall watch is a wait on a condition (bytes moving), with the stall time as its deadline.
  const stalled = waitFor(
    "bytes to move",
    async () => (Date.now() - counted.lastMove > stallMs ? ready(true) : notYet("moving")),
    { timeoutMs: Number.MAX_SAFE_INTEGER, intervalMs: Math.min(1000, stallMs), signal: abort.signal },
  ).then(
    () => abort.abort(Object.assign(new Error("stalled"), { code: "ESTALL" })),
    () => undefined,
  );
  const sent = writeFileTo(options.template, file, req, (n) => {
    counted.bytes += n;
    counted.lastMove = Date.now();
    report();
  }).then(
    () => {
      sentAt = Date.now();
      return undefined;
    },
    (error: NodeJS.ErrnoException) => error,
  );
  try {
    let res: IncomingMessage;
    try {
      // An early answer (413 from nginx) may arrive before the body is sent: the answer wins.
      res = await response;
    } catch (error) {
      const cause = (abort.signal.reason as NodeJS.ErrnoException | undefined) ?? (error as NodeJS.ErrnoException);
      if (options.signal?.aborted) throw new PushError("interrupted", false);
      throw explainSocketError(cause.code ? cause : (error as NodeJS.ErrnoException), url, stallMs);
    }
    const chunks: Buffer[] = [];
    for await (const chunk of res) if (chunks.length < 64) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    if (res.statusCode !== 201) {
      // Refused: stop sending the rest of a body nobody will store.
      req.destroy();
      throw explainStatus(res.statusCode ?? 0, String(res.headers.server ?? ""), body);
    }
    const failure = await sent;
    if (failure) throw explainSocketError(failure, url, stallMs);
    const stored = String(res.headers["x-anka-lab-sha256"] ?? "");
    if (stored !== sha256) throw new PushError(`the probe stored sha256 ${stored || "(none)"}, expected ${sha256}`, true);
    return { pod: String(res.headers["x-anka-lab-pod"] ?? "?"), answerSeconds: sentAt ? Math.max(0, answeredAt - sentAt) / 1000 : 0 };
  } finally {
    options.signal?.removeEventListener("abort", onOuterAbort);
    abort.abort();
    await stalled;
  }
}

/** Waits out a backoff delay, or stops early on Ctrl-C. */
async function backoff(ms: number, signal?: AbortSignal): Promise<void> {
  const until = Date.now() + ms;
  await waitFor("the retry backoff", async () => (Date.now() >= until ? ready(true) : notYet("backing off")), {
    timeoutMs: ms + 1000,
    intervalMs: Math.min(ms, 250),
    signal,
  });
}

/**
 * Pushes the sample template file by file with bounded memory (a stream of 1 MiB chunks with
 * backpressure), checking the probe's sha256, retrying only what is safe to retry: a PUT of a
 * whole file is idempotent and the probe commits nothing partial, so transient failures are retried.
 */
export async function pushTemplate(options: PushOptions): Promise<PushResult> {
  const { template } = options;
  const digests = new Map(options.digests ?? []);
  const digestStart = Date.now();
  for (const file of template.files) if (!digests.has(file.path)) digests.set(file.path, await fileSha256(template, file));
  const checksumSeconds = (Date.now() - digestStart) / 1000;

  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const start = Date.now();
  let doneBytes = 0;
  const results: FileResult[] = [];
  try {
    for (const file of template.files) {
      const url = fileUrl(options.to, template, file);
      const attempts = options.attempts ?? 3;
      const fileStart = Date.now();
      for (let attempt = 1; ; attempt++) {
        const counted: Counted = { bytes: 0, lastMove: Date.now() };
        const report = () =>
          options.onProgress?.({
            file: file.path,
            fileBytes: counted.bytes,
            fileSize: file.size,
            totalBytes: doneBytes + counted.bytes,
            totalSize: template.totalSize,
            elapsedMs: Date.now() - start,
          });
        try {
          const { pod, answerSeconds } = await putOnce(url, options, file, digests.get(file.path)!, counted, agent, report);
          results.push({ path: file.path, size: file.size, sha256: digests.get(file.path)!, seconds: (Date.now() - fileStart) / 1000, attempts: attempt, pod, answerSeconds });
          doneBytes += file.size;
          break;
        } catch (error) {
          const pushError = error instanceof PushError ? error : new PushError((error as Error).message, false);
          if (!pushError.retryable || attempt >= attempts || options.signal?.aborted) {
            pushError.message = `${file.path}: ${pushError.message}${attempt > 1 ? ` (after ${attempt} attempts)` : ""}`;
            throw pushError;
          }
          options.onRetry?.(file.path, attempt, pushError);
          await backoff((options.backoffMs ?? 1000) * 2 ** (attempt - 1), options.signal);
        }
      }
    }
  } finally {
    agent.destroy();
  }
  const seconds = (Date.now() - start) / 1000;
  return { files: results, bytes: doneBytes, seconds, bytesPerSecond: rate(doneBytes, seconds * 1000), checksumSeconds };
}
