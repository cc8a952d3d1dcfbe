import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import { type SampleTemplate, type TemplateFile } from "./sample.js";
import { bodySize, writeBody } from "./body.js";
import { rate, type Progress } from "./progress.js";
import { LabError } from "../errors.js";

export const PROBE_PREFIX = "/anka-lab-probe";

export interface PushOptions {
  /** Base URL: the registry LoadBalancer's probe port, or the registry Ingress. */
  readonly to: string;
  readonly template: SampleTemplate;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: Progress) => void;
  readonly onRetry?: (file: string, attempt: number, error: PushError) => void;
  /** A file's first attempt begins. */
  readonly onFile?: (file: TemplateFile) => void;
  /** The probe stored a file with the sha256 this client computed. */
  readonly onStored?: (result: FileResult) => void;
  /** The client's sha256 of a file is complete: after its last byte was handed to the socket. */
  readonly onDigest?: (file: TemplateFile, sha256: string) => void;
  /** Attempts per file; only failures that are safe to retry are retried. */
  readonly attempts?: number;
  /** Abort a file when no byte moved for this long (a requested hold does not count). */
  readonly stallMs?: number;
  /** Base of the exponential backoff between attempts. */
  readonly backoffMs?: number;
  /** Ask the probe for a silent phase of this long after each body (lab:repro idle-timeout). */
  readonly holdMs?: number;
  /** Host header to send, e.g. the registry's hostname when connecting to 127.0.0.1 (Ingress rules match on it). */
  readonly host?: string;
  /** The lab's probe token, sent as "Authorization: Bearer <token>" (RFC 6750 section 2.1). */
  readonly token?: string;
  /** For https:// URLs: PEM text of the CA that signed the server's certificate. */
  readonly ca?: string;
  /** For https:// URLs: accept any certificate (a lab-only self-signed one). */
  readonly insecure?: boolean;
  /** How long the answer's body may take to end after its headers arrived. */
  readonly answerMs?: number;
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
}

/** A failed transfer, explained in the lab's terms; `retryable` says whether trying again is safe and useful. */
export class PushError extends LabError {
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

/** A URL fit to print: user:password@ in it becomes ***@, so no message ever shows credentials. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, "$1***@");
}

/** The probe's own message from a JSON answer body, or the body's first line. */
function answerDetail(body: string): string {
  try {
    const message = (JSON.parse(body) as { message?: unknown }).message;
    if (typeof message === "string") return message.slice(0, 300);
  } catch {
    // Not the probe's JSON (a proxy's HTML page, plain text): its first line below.
  }
  return body.trim().split("\n")[0]?.slice(0, 200) ?? "";
}

/** What an HTTP status means on the lab's push path. */
export function explainStatus(status: number, server: string | undefined, body: string, location?: string, url?: string): PushError {
  const fromNginx = /nginx/i.test(server ?? "") || /<center>nginx/i.test(body);
  const detail = answerDetail(body);
  // The probe never redirects (RFC 9110 section 15.4: 3xx asks the client to go elsewhere): a
  // redirect means --to names something else, and one back to the same URL would loop forever.
  if (status >= 300 && status < 400) {
    const target = location ? redactUrl(new URL(location, url ?? "http://x/").toString()) : "(no Location)";
    const loop = url !== undefined && location !== undefined && new URL(location, url).toString() === url;
    return new PushError(
      loop
        ? `HTTP ${status} redirect back to the same URL (a redirect loop): the server at --to is not the lab's probe; point --to at the registry's probe port or Ingress`
        : `HTTP ${status} redirect to ${target}: the probe never redirects; point --to at the registry's probe port or Ingress${target.startsWith("https:") ? " (use the https:// URL itself)" : ""}`,
      false,
      status,
    );
  }
  // A probe from before "x-anka-lab-sha256: at-end" (the sha256 after the body) refuses it so.
  if (status === 400 && detail === "x-anka-lab-sha256 must be the body's sha256 in hex")
    return new PushError("400 from the probe: it is older than this client and wants each sha256 before the body; update the lab's probe with npm run lab:up", false, 400);
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
    case 401:
      return fromNginx
        ? new PushError("401 from nginx: the Ingress asks for credentials; give them in --to as http://USER:PASSWORD@HOST", false, 401)
        : new PushError("401 from the probe: it needs the lab's probe token; pass --token TOKEN or set ANKA_LAB_PROBE_TOKEN (the token is in the lab's state folder)", false, 401);
    case 507:
      // RFC 4918 section 11.5: 507 Insufficient Storage, the server cannot store what it needs to.
      return new PushError(`507 from the probe: the registry volume is full (${detail}); free space on it (npm run lab:down -- --purge deletes the lab's data) or push a smaller --size`, false, 507);
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
      return new PushError(`no progress for ${stallMs < 10_000 ? stallMs / 1000 : Math.round(stallMs / 1000)} s: the path stalled (request buffering in a proxy, or a dead peer)`, true);
    // Certificate checks of tls.connect (https://nodejs.org/api/tls.html#x509-certificate-error-codes).
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
    case "SELF_SIGNED_CERT_IN_CHAIN":
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "UNABLE_TO_GET_ISSUER_CERT_LOCALLY":
    case "CERT_HAS_EXPIRED":
    case "CERT_NOT_YET_VALID":
      return new PushError(`TLS: ${new URL(url).host} has a certificate this machine does not trust (${error.code}); pass --cacert FILE with the CA that signed it, or --insecure for a lab-only self-signed one`, false);
    case "ERR_TLS_CERT_ALTNAME_INVALID":
      return new PushError(`TLS: the certificate of ${new URL(url).host} does not name that host (${error.code}); use the hostname the certificate was made for, or --insecure for a lab-only one`, false);
    case "EPROTO":
    case "ERR_SSL_WRONG_VERSION_NUMBER":
      return new PushError(`TLS handshake with ${new URL(url).host} failed (${error.code}): is it a plain http:// port? then use http://`, false);
    case "EANSWER":
      return new PushError(error.message, false);
    default:
      return new PushError(`${error.code ?? "error"}: ${redactUrl(error.message)}`, true);
  }
}

/**
 * The stall watch: one timer, pushed back by each chunk that moves (Timeout.refresh(),
 * https://nodejs.org/api/timers.html#timeoutrefresh), that fires when none moved for `ms`. A
 * silence the client asked for (the probe's hold after the body) is no stall: pause() stops the
 * watch for that long, then it resumes.
 */
class StallWatch {
  private timer: NodeJS.Timeout;
  constructor(
    private readonly ms: number,
    private readonly onStall: () => void,
  ) {
    this.timer = setTimeout(onStall, ms);
  }
  moved(): void {
    this.timer.refresh();
  }
  pause(holdMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => (this.timer = setTimeout(this.onStall, this.ms)), holdMs);
  }
  stop(): void {
    clearTimeout(this.timer);
  }
}

/** One PUT of one file, hashed as it is sent; resolves with the probe's answer, or rejects with a PushError. */
async function putOnce(
  url: string,
  options: PushOptions,
  file: TemplateFile,
  onBytes: (n: number) => void,
  onBodySent: () => void = () => undefined,
): Promise<{ sha256: string; pod: string; answerSeconds: number }> {
  const stallMs = options.stallMs ?? 120_000;
  // A Ctrl-C that came before this call: an 'abort' listener added now would never fire.
  if (options.signal?.aborted) throw new PushError("interrupted", false);
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort(options.signal!.reason);
  options.signal?.addEventListener("abort", onOuterAbort, { once: true });
  const tls = new URL(url).protocol === "https:";
  const requestOptions: RequestOptions & { ca?: string; rejectUnauthorized?: boolean } = {
    method: "PUT",
    // A connection of its own, closed after the answer (agent false: a fresh Agent with default
    // values, https://nodejs.org/api/http.html#httprequestoptions-callback). A shared Agent hands a
    // queued request the socket another file's answer just freed, so files would share connections.
    agent: false,
    signal: abort.signal,
    headers: {
      "content-type": "application/octet-stream",
      // The file, then its sha256 in hex: the probe's "at-end" form (lab/transfer/probeServer.mjs).
      "content-length": bodySize(file),
      "x-anka-lab-sha256": "at-end",
      // Node's agent takes the TLS server name (SNI) from the Host header when one is set
      // (https://nodejs.org/api/https.html#httpsrequestoptions-callback), so an Ingress picks its certificate by it.
      ...(options.host ? { host: options.host } : {}),
      ...(options.holdMs ? { "x-anka-lab-hold-ms": String(options.holdMs) } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    // tls.connect options (https://nodejs.org/api/tls.html#tlsconnectoptions-callback): ca replaces
    // the default trust store; rejectUnauthorized false accepts any certificate.
    ...(tls ? { ca: options.ca, rejectUnauthorized: !options.insecure } : {}),
  };
  const req: ClientRequest = tls ? httpsRequest(url, requestOptions) : httpRequest(url, requestOptions);
  const watch = new StallWatch(stallMs, () => abort.abort(Object.assign(new Error("stalled"), { code: "ESTALL" })));
  let sentBytes = 0;
  let sentAt = 0;
  let answeredAt = 0;
  // 'finish': the whole body was handed to the operating system (https://nodejs.org/api/http.html#event-finish).
  // An answer before it cannot vouch for bytes the server never saw.
  let finished = false;
  let bodyDoneBeforeAnswer = false;
  req.once("finish", () => {
    finished = true;
    onBodySent();
    if (options.holdMs) watch.pause(options.holdMs);
  });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.once("response", (res) => {
      answeredAt = Date.now();
      bodyDoneBeforeAnswer = finished;
      watch.stop();
      resolve(res);
    });
    req.once("error", reject);
  });
  const sent = writeBody(
    options.template,
    file,
    req,
    (n) => {
      sentBytes += n;
      watch.moved();
      onBytes(n);
    },
    (sha256) => options.onDigest?.(file, sha256),
  ).then(
    (sha256) => {
      sentAt = Date.now();
      return sha256;
    },
    (error: NodeJS.ErrnoException) => error,
  );
  const socketError = (error: unknown): PushError => {
    const cause = (abort.signal.reason as NodeJS.ErrnoException | undefined) ?? (error as NodeJS.ErrnoException);
    if (options.signal?.aborted) return new PushError("interrupted", false);
    return explainSocketError(cause.code ? cause : (error as NodeJS.ErrnoException), url, stallMs);
  };
  try {
    let res: IncomingMessage;
    try {
      // An early answer (413 from nginx) may arrive before the body is sent: the answer wins.
      res = await response;
    } catch (error) {
      throw socketError(error);
    }
    if (res.statusCode === 201 && !bodyDoneBeforeAnswer) {
      req.destroy();
      res.destroy();
      throw new PushError(
        `the server answered 201 after ${sentBytes} of ${file.size} bytes, before the body was sent: a store only counts once every byte arrived; something at --to answers for the probe without reading (a misconfigured proxy?)`,
        false,
        201,
      );
    }
    let body: string;
    try {
      body = await readAnswer(res, options.answerMs ?? 10_000);
    } catch (error) {
      throw socketError(error);
    }
    if (res.statusCode !== 201) {
      // Refused: stop sending the rest of a body nobody will store.
      req.destroy();
      throw explainStatus(res.statusCode ?? 0, String(res.headers.server ?? ""), body, res.headers.location, url);
    }
    const sha256 = await sent;
    if (sha256 instanceof Error) throw socketError(sha256);
    const stored = String(res.headers["x-anka-lab-sha256"] ?? "");
    if (stored !== sha256) throw new PushError(`the probe stored sha256 ${stored || "(none)"}, expected ${sha256}`, true);
    return { sha256, pod: String(res.headers["x-anka-lab-pod"] ?? "?"), answerSeconds: sentAt ? Math.max(0, answeredAt - sentAt) / 1000 : 0 };
  } finally {
    watch.stop();
    options.signal?.removeEventListener("abort", onOuterAbort);
    abort.abort();
    // The body's writer settles once the request is gone; nothing of it outlives this call.
    await sent;
  }
}

/** The probe answers with a few hundred bytes of JSON; keep at most this much of any answer. */
const ANSWER_LIMIT = 64 * 1024;

/**
 * Reads an answer's body, bounded in size and time: a server whose body never ends (or drips
 * forever) is cut with one clear line instead of holding the push until a socket timeout.
 */
function readAnswer(res: IncomingMessage, answerMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (message: string) => {
      res.destroy();
      reject(Object.assign(new Error(message), { code: "EANSWER" }));
    };
    const timer = setTimeout(
      () => fail(`the answer's body did not end within ${Math.round(answerMs / 1000)} s (HTTP ${res.statusCode}, ${size} bytes so far): the server at --to is not the lab's probe, or a proxy holds the connection open`),
      answerMs,
    );
    res.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > ANSWER_LIMIT) return fail(`the answer's body went past ${ANSWER_LIMIT / 1024} KiB (HTTP ${res.statusCode}): the server at --to is not the lab's probe, which answers in a few hundred bytes`);
      chunks.push(chunk);
    });
    res.once("end", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("utf8"));
    });
    res.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // A connection that closes mid-answer without an 'error' still settles the read.
    res.once("close", () => {
      clearTimeout(timer);
      if (!res.complete) reject(Object.assign(new Error("aborted"), { code: "ECONNRESET" }));
    });
  });
}

/**
 * Pushes the sample template file by file with bounded memory, each file hashed as it is sent
 * (lab/transfer/body.ts), so the first byte leaves at once whatever the size; the probe commits a
 * file only when its bytes match the sha256 that ends the body. Only what is safe to retry is
 * retried: a PUT of a whole file is idempotent and the probe commits nothing partial.
 *
 * Two files are open at most: the next file's bytes start once this file's body is handed to the
 * operating system, while the probe still verifies, fsyncs and commits this one (its fsync(2) of a
 * large file takes a noticeable part of the push), and only after the file before it is settled.
 * The newer one is on the wire; the older one awaits its answer (or, failing, is sent again).
 * Each file has its own request and connection (a kept-alive socket would sit idle in a pool while
 * the other file is sent, and an idle cutoff on the way, an AWS NLB's 350 s, would cut it).
 */
export async function pushTemplate(options: PushOptions): Promise<PushResult> {
  const { template } = options;
  // Each file's own stop: a Ctrl-C stops them all; a file's failure stops the files after it, while
  // the one before it, whose body is sent, still hears whether the probe stored it.
  const stops = template.files.map(() => new AbortController());
  const stopFrom = (index: number, reason: unknown) => stops.slice(index).forEach((stop) => stop.abort(reason));
  const onOuterAbort = () => stopFrom(0, options.signal!.reason);
  if (options.signal?.aborted) onOuterAbort();
  options.signal?.addEventListener("abort", onOuterAbort, { once: true });
  const start = Date.now();
  let doneBytes = 0;
  // The bytes of each open file's current attempt, for the progress total.
  const moving = new Map<string, number>();
  const results: FileResult[] = [];
  let failure: PushError | undefined;
  let interrupted: { error: PushError; index: number } | undefined;

  const pushFile = async (file: TemplateFile, stop: AbortSignal, onBodySent: () => void): Promise<void> => {
    const url = fileUrl(options.to, template, file);
    const fileOptions: PushOptions = { ...options, signal: stop };
    const attempts = options.attempts ?? 3;
    const fileStart = Date.now();
    options.onFile?.(file);
    for (let attempt = 1; ; attempt++) {
      let fileBytes = 0;
      moving.set(file.path, 0);
      const onBytes = (n: number) => {
        fileBytes += n;
        moving.set(file.path, fileBytes);
        let total = doneBytes;
        for (const bytes of moving.values()) total += bytes;
        options.onProgress?.({ file: file.path, fileBytes, fileSize: file.size, totalBytes: total, totalSize: template.totalSize, elapsedMs: Date.now() - start });
      };
      try {
        const { sha256, pod, answerSeconds } = await putOnce(url, fileOptions, file, onBytes, onBodySent);
        const result = { path: file.path, size: file.size, sha256, seconds: (Date.now() - fileStart) / 1000, attempts: attempt, pod, answerSeconds };
        results.push(result);
        moving.delete(file.path);
        doneBytes += file.size;
        options.onStored?.(result);
        return;
      } catch (error) {
        moving.delete(file.path);
        const pushError = error instanceof PushError ? error : new PushError((error as Error).message, false);
        if (!pushError.retryable || attempt >= attempts || stop.aborted) {
          pushError.message = `${file.path}: ${pushError.message}${attempt > 1 ? ` (after ${attempt} attempts)` : ""}`;
          throw pushError;
        }
        options.onRetry?.(file.path, attempt, pushError);
        // Exponential backoff; a Ctrl-C ends the wait at once (node:timers/promises rejects with
        // an AbortError: https://nodejs.org/api/timers.html#timerspromisessettimeoutdelay-value-options).
        await sleep((options.backoffMs ?? 1000) * 2 ** (attempt - 1), undefined, { signal: stop }).catch(() => {
          throw new PushError(`${file.path}: interrupted`, false);
        });
      }
    }
  };

  const settled: Promise<void>[] = [];
  try {
    for (const [i, file] of template.files.entries()) {
      if (stops[i]!.signal.aborted) break;
      let bodySent!: () => void;
      const sent = new Promise<void>((resolve) => (bodySent = resolve));
      settled.push(
        pushFile(file, stops[i]!.signal, bodySent)
          .catch((error: PushError) => {
            // After a Ctrl-C every open file stops, and the newest (the one on the wire) is named.
            // Otherwise the first failure is the cause, and the files after it stop with it.
            if (!options.signal?.aborted) failure ??= error;
            else if (!interrupted || i > interrupted.index) interrupted = { error, index: i };
            stopFrom(i + 1, error);
          })
          .finally(bodySent),
      );
      await Promise.all([sent, settled[i - 1]]);
    }
    await Promise.all(settled);
  } finally {
    options.signal?.removeEventListener("abort", onOuterAbort);
  }
  if (failure ?? interrupted) throw failure ?? interrupted!.error;
  // A stop before a file began (a Ctrl-C during the health check) is no push: never an empty success.
  const missing = template.files.find((f) => !results.some((r) => r.path === f.path));
  if (missing) throw new PushError(`${missing.path}: interrupted`, false);
  results.sort((a, b) => template.files.findIndex((f) => f.path === a.path) - template.files.findIndex((f) => f.path === b.path));
  const seconds = (Date.now() - start) / 1000;
  return { files: results, bytes: doneBytes, seconds, bytesPerSecond: rate(doneBytes, seconds * 1000) };
}
