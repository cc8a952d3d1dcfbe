import { createHash } from "node:crypto";
import { UsageError, type Io, type ParsedArgs } from "../cli/command.js";
import { formatBytes } from "../config/size.js";
import { seedFlag, sizeFlag } from "../cli/flags.js";
import { interruptible, stoppedLine } from "../cli/signals.js";
import { httpRequest } from "../net/http.js";
import { PROBE_PREFIX, PushError, explainSocketError, fileUrl, pushTemplate, type FileResult, type PushResult } from "../push/client.js";
import { chooseRenderer, taskList, type RendererChoice } from "../cli/tasks.js";
import { formatDuration, formatProgress, formatRate } from "../push/progress.js";
import { FileGenerator, chunkBuffer, sampleTemplate, type SampleTemplate, type TemplateFile } from "../template/sample.js";

export { pushSpec } from "./specs.js";

export interface PushArgs {
  readonly to: string;
  readonly size: number;
  readonly seed: number;
}

/** Checks --to, --size and --seed; bad input is one line naming the fix. */
export function parsePushArgs(values: ParsedArgs["values"]): PushArgs {
  const to = values.to;
  if (typeof to !== "string") throw new UsageError("--to URL is required, e.g. --to http://127.0.0.1:8087");
  let url: URL;
  try {
    url = new URL(to);
  } catch {
    throw new UsageError(`--to ${to}: not a URL; use http://HOST:PORT, e.g. http://127.0.0.1:8087`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`--to ${to}: only http:// and https:// URLs are supported`);
  if (url.search || url.hash) throw new UsageError(`--to ${to}: drop the ?query and #fragment; give the base URL`);
  const size = sizeFlag(values, "size", "1Gi", "4Gi or 512Mi");
  return { to: url.toString().replace(/\/$/, ""), size, seed: seedFlag(values) ?? 1 };
}

/**
 * Asks the probe's health endpoint before anything else, so a wrong --to is one line within
 * seconds, not after hashing gigabytes and three retries.
 */
export async function checkProbe(to: string): Promise<void> {
  const url = `${to}${PROBE_PREFIX}/healthz`;
  let status: number;
  try {
    ({ status } = await httpRequest(url, { timeoutMs: 5000 }));
  } catch (error) {
    throw explainSocketError(error as NodeJS.ErrnoException, url, 5000);
  }
  if (status !== 200)
    throw new PushError(`${url} answered HTTP ${status}, not the transfer probe's health; give the registry's probe port or Ingress as --to (e.g. http://127.0.0.1:8087), without ${PROBE_PREFIX}`, false, status);
}

/** The sha256 of one sample file, generated again; stops at the next chunk once `signal` aborts. */
async function fileDigest(template: SampleTemplate, file: TemplateFile, signal: AbortSignal, onBytes: (n: number) => void): Promise<string> {
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
async function pushFileByFile(
  to: string,
  template: SampleTemplate,
  signal: AbortSignal,
  committed: FileResult[],
  show: (line: string) => void,
  startedAt: number,
  onFile: (file: TemplateFile | undefined) => void,
): Promise<PushResult> {
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
    onFile(file);
    const result = await pushTemplate({
      to,
      template: onlyFile(template, file),
      signal,
      digests: new Map([[file.path, sha256]]),
      onProgress: (p) =>
        show(formatProgress({ ...p, totalBytes: done + p.totalBytes, totalSize: template.totalSize, elapsedMs: Date.now() - startedAt - checksumMs })),
      onRetry: (path, attempt, error) => show(`retrying ${path} (attempt ${attempt + 1}): ${error.message}`),
    });
    committed.push(...result.files);
    onFile(undefined);
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
async function removeStored(to: string, template: SampleTemplate, committed: readonly FileResult[], inFlight: TemplateFile | undefined): Promise<number> {
  const remove = async (file: TemplateFile) => (await httpRequest(fileUrl(to, template, file), { method: "DELETE", timeoutMs: 5000 }).catch(() => ({ status: 0 }))).status === 200;
  let removed = 0;
  for (const f of committed) if (await remove(template.files.find((t) => t.path === f.path)!)) removed++;
  if (inFlight) {
    const url = fileUrl(to, template, inFlight);
    const until = Date.now() + 1000;
    for (let absent = 0; absent < 2 && Date.now() < until; ) {
      const { status } = await httpRequest(url, { method: "HEAD", timeoutMs: 1000 }).catch(() => ({ status: 0 }));
      if (status === 200) {
        if (await remove(inFlight)) removed++;
        absent = 0;
      } else absent++;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return removed;
}

export async function pushCommand(args: ParsedArgs, io: Io, deps: { signal?: AbortSignal; renderer?: RendererChoice } = {}): Promise<number> {
  const startedAt = Date.now();
  const { to, size, seed } = parsePushArgs(args.values);
  await checkProbe(to);
  const template = sampleTemplate(size, seed);
  const interrupt = interruptible(deps);
  const renderer = deps.renderer ?? chooseRenderer(process.stderr);
  // A terminal redraws often; CI logs get a line every 5 s.
  const every = renderer === "default" ? 250 : 5000;
  const committed: FileResult[] = [];
  let inFlight: TemplateFile | undefined;
  let result: PushResult | undefined;
  try {
    await taskList(
      [
        {
          title: `push ${template.name}: ${template.files.length} files, ${formatBytes(size)} to ${to}`,
          task: async (_, task) => {
            let last = 0;
            let lastFile = "";
            // A line at each new phase (checksum or send of the next file), else at most one per `every`.
            const show = (line: string) => {
              const now = Date.now();
              const file = /^(checksum of )?\S+/.exec(line)?.[0] ?? "";
              if (now - last >= every || file !== lastFile) {
                last = now;
                lastFile = file;
                task.output = line;
              }
            };
            result = await pushFileByFile(to, template, interrupt.signal, committed, show, startedAt, (file) => (inFlight = file));
            // The whole wait, checksums and the health check included: what the user sat through.
            task.title = `pushed ${formatBytes(result.bytes)} in ${formatDuration(result.seconds)}: ${formatRate(result.bytesPerSecond)}`;
            task.output = "";
          },
        },
      ],
      renderer,
      { exitOnError: true },
    ).run();
  } catch (error) {
    if (!interrupt.signal.aborted) throw error;
    const removed = await removeStored(to, template, committed, inFlight);
    io.err(
      stoppedLine(
        interrupt,
        `after ${committed.length} of ${template.files.length} files; removed the ${removed} file(s) this run had stored, so the probe keeps nothing of it`,
        `npm run lab:push -- --to ${to} --size ${typeof args.values.size === "string" ? args.values.size : "1Gi"}`,
      ),
    );
    return interrupt.exitCode;
  } finally {
    interrupt.dispose();
  }
  const done = result!;
  if (args.values.json) io.out(JSON.stringify({ to, template: template.name, ...done }, null, 2));
  else {
    for (const f of done.files) io.out(`  ✓ ${f.path}  ${formatBytes(f.size)}  sha256 ${f.sha256.slice(0, 16)}…  stored by ${f.pod}${f.attempts > 1 ? `  (${f.attempts} attempts)` : ""}`);
    io.out(`pushed ${formatBytes(done.bytes)} in ${formatDuration(done.seconds)}: ${formatRate(done.bytesPerSecond)}, every sha256 verified by the probe`);
  }
  return 0;
}
