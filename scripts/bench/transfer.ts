/**
 * The transfer benchmark's glue (npm run bench:transfer): one probe behind one nginx configured as
 * the lab's Ingress, all on 127.0.0.1; the push client against `curl -T` over that same path,
 * interleaved; each one's time to first byte at the large size, and the client's peak memory.
 * Outside commands (curl, sync, nginx -v, the child push) run through zx's $, each given its argv as
 * one array, which zx quotes element by element (https://google.github.io/zx/quotes).
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { statfs } from "node:fs/promises";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { $, expBackoff, fs, os, path, retry, which } from "zx";
import { formatBytes } from "../../lab/config/size.js";
import { LabError } from "../../lab/errors.js";
import { fileUrl, pushTemplate } from "../../lab/transfer/client.js";
import { formatRate } from "../../lab/transfer/progress.js";
import { fileStream, sampleTemplate, type SampleTemplate, type TemplateFile } from "../../lab/transfer/sample.js";
import { startNginx, type Logged, type Nginx } from "../../test/support/nginx.js";
import { startProbe, type RunningProbe } from "../../test/support/localProbe.js";

$.verbose = false;
$.quiet = true;

export interface TransferFigures {
  generatorBytesPerSecond: number;
  /** Medians over the rounds; the client hashes every byte it sends within its time. */
  clientBytesPerSecond: number;
  curlBytesPerSecond: number;
  /** The push child at the small and the large size. */
  small: ChildPush;
  big: ChildPush;
  bigCurlBytesPerSecond: number;
  /** At the large size: from the start of the upload to nginx reading its first request. */
  clientFirstByteMs: number;
  curlFirstByteMs: number;
  /** At the large size: the longest time nginx saw between one file's answer and the next file's request. */
  clientLongestGapMs: number;
  curlLongestGapMs: number;
}

interface ChildPush {
  startedAt: number;
  bytesPerSecond: number;
  maxRssBytes: number;
}

interface BenchOptions {
  size: number;
  bigSize: number;
  rounds: number;
  /** The probe's folder in /dev/shm (memory) instead of the temp folder (disk). */
  tmpfs: boolean;
}

/** Both tools on PATH, and room for the large push: its files for curl, and what the probe stores. */
async function preflight(options: BenchOptions): Promise<void> {
  const missing = [];
  for (const tool of ["nginx", "curl"]) if (!(await which(tool, { nothrow: true }))) missing.push(tool);
  if (missing.length) throw new LabError(`bench:transfer needs ${missing.join(" and ")} on PATH`, { hint: "on Debian: apt-get install nginx-light curl; on a Mac: brew install nginx curl" });
  // statfs(2) free blocks for unprivileged users (https://nodejs.org/api/fs.html#fspromisesstatfspath-options).
  const { bavail, bsize } = await statfs(os.tmpdir());
  if (options.tmpfs) {
    if (!(await fs.pathExists("/dev/shm"))) throw new LabError("bench:transfer --tmpfs needs /dev/shm (Linux's shared-memory tmpfs)", { hint: "leave out --tmpfs on this system" });
    // The probe's copy of the large push lives in memory (tmpfs pages: https://docs.kernel.org/filesystems/tmpfs.html).
    const { bavail: shmAvail, bsize: shmBlock } = await statfs("/dev/shm");
    if (Math.min(shmAvail * shmBlock, os.freemem()) < options.bigSize + 2 ** 30)
      throw new LabError(`bench:transfer --tmpfs keeps the probe's ${formatBytes(options.bigSize)} in memory, and ${formatBytes(Math.min(shmAvail * shmBlock, os.freemem()))} are free`, { hint: "pass a smaller --big, e.g. --big 2Gi" });
  }
  const needed = 2 * options.bigSize + options.size + 2 ** 30;
  if (bavail * bsize < needed)
    throw new LabError(`bench:transfer needs ${formatBytes(needed)} free under ${os.tmpdir()} (the large push's files for curl and the probe's copy), and ${formatBytes(bavail * bsize)} are free`, {
      hint: "pass a smaller --big, e.g. --big 2Gi, and say so with the figures",
    });
}

/** How fast one core generates sample bytes (no disk, no network). */
async function generatorRate(bytes: number): Promise<number> {
  const template = sampleTemplate(bytes, 99);
  const start = process.hrtime.bigint();
  let n = 0;
  for (const file of template.files) for await (const chunk of fileStream(template, file)) n += (chunk as Buffer).length;
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

interface CurlFile {
  readonly file: TemplateFile;
  readonly path: string;
  readonly sha: string;
}

/** The template's bytes on disk for curl, which uploads files; each hashed as it is written. */
async function filesForCurl(template: SampleTemplate, dir: string): Promise<CurlFile[]> {
  const files = [];
  for (const file of template.files) {
    const target = path.join(dir, file.path.replaceAll("/", "_"));
    const hash = createHash("sha256");
    const tee = new Transform({
      transform(chunk: Buffer, _, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    await pipeline(fileStream(template, file), tee, createWriteStream(target));
    files.push({ file, path: target, sha: hash.digest("hex") });
  }
  return files;
}

/**
 * Every file by one curl process, one after the other (`--next` begins each file's own options:
 * https://curl.se/docs/manpage.html#--next), on a connection curl keeps alive: how one would push
 * the files with curl, with no process start between them. (The client begins each file once the
 * body before it is sent, while the probe commits that one.) Returns when the upload began.
 */
async function curlUpload(template: SampleTemplate, files: readonly CurlFile[], to: string): Promise<{ startedAt: number; seconds: number }> {
  // "Expect:" turns off curl's 100-continue round trip, which the lab's client does not make either
  // (curl's -H with an empty value removes a header: https://curl.se/docs/manpage.html#-H).
  const argv = files.flatMap(({ file, path: source, sha }, i) => [
    ...(i > 0 ? ["--next"] : []),
    ...["-sS", "-o", "/dev/null", "-w", "%{http_code}\\n", "-T", source, "-H", `x-anka-lab-sha256: ${sha}`, "-H", "Expect:", fileUrl(to, template, file)],
  ]);
  const startedAt = Date.now();
  const start = process.hrtime.bigint();
  const statuses = (await $`curl ${argv}`).stdout.trim().split("\n");
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  statuses.forEach((status, i) => {
    if (status !== "201") throw new LabError(`curl -T ${files[i]?.file.path} got HTTP ${status}`);
  });
  if (statuses.length !== files.length) throw new LabError(`curl answered ${statuses.length} of ${files.length} uploads`);
  return { startedAt, seconds };
}

/** Empties the probe's store and flushes dirty pages, so one run's disk writeback does not slow the next. */
async function settle(probe: RunningProbe): Promise<void> {
  const files = path.join(probe.root, "files");
  for (const entry of await fs.readdir(files)) await fs.remove(path.join(files, entry));
  await $`sync`;
}

/** One push in a process of its own, so its peak RSS is the client's alone. */
async function childPush(to: string, size: number, seed: number): Promise<ChildPush> {
  const child = path.join(import.meta.dirname, "pushChild.ts");
  const { stdout } = await $`${[process.execPath, "--import", "tsx", child, to, String(size), String(seed)]}`;
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as ChildPush;
}

/**
 * The requests nginx logged for a template: one per file. nginx writes a request's line after its
 * answer went out (the log phase), so the last line may trail the uploader's exit by a moment:
 * zx's retry reads again, a few times with backoff.
 */
async function logged(nginx: Nginx, template: SampleTemplate): Promise<Logged[]> {
  const prefix = new URL(fileUrl(nginx.url, template, template.files[0]!)).pathname.replace(/[^/]*$/, "");
  return retry(8, expBackoff("1s", "20ms"), () => {
    const lines = nginx.requests().filter((r) => r.method === "PUT" && r.uri.startsWith(prefix));
    if (lines.length < template.files.length) throw new Error(`nginx logged ${lines.length} of ${template.files.length} uploads of ${template.name}`);
    return lines.sort((a, b) => a.startMs - b.startMs);
  });
}

/**
 * Time to the first request, and the longest wait between one file's answer and the next file's
 * request (0 when every file began before the one before it was answered).
 */
function timing(requests: readonly Logged[], startedAt: number): { firstByteMs: number; longestGapMs: number } {
  let longestGapMs = 0;
  for (let i = 1; i < requests.length; i++) longestGapMs = Math.max(longestGapMs, requests[i]!.startMs - requests[i - 1]!.endMs);
  return { firstByteMs: requests[0]!.startMs - startedAt, longestGapMs };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function benchTransfer(log: (line: string) => void, options: BenchOptions): Promise<TransferFigures> {
  await preflight(options);
  log(`nginx: ${(await $`nginx -v`).stderr.trim()}; curl: ${(await $`curl --version`).stdout.split("\n")[0]}; ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}`);
  log(`generator: ${formatBytes(2 * 2 ** 30)} of sample bytes on one core`);
  const generatorBytesPerSecond = await generatorRate(2 * 2 ** 30);
  log(`  ${formatRate(generatorBytesPerSecond)}`);

  const volume = options.tmpfs ? await fs.mkdtemp("/dev/shm/anka-lab-bench-") : undefined;
  log(`the probe stores ${volume ? `in memory (${volume})` : `on disk (under ${os.tmpdir()})`}`);
  const probe = await startProbe({ volume });
  const nginx = await startNginx("lab-annotations", probe.port);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "anka-lab-bench-curl-"));
  try {
    const template = sampleTemplate(options.size, 21);
    const asCurl = (t: SampleTemplate) => ({ ...t, name: `${t.name}-curl` });
    const client: number[] = [];
    const curl: number[] = [];
    const files = await filesForCurl(template, dir);
    log(`client vs curl -T: ${formatBytes(options.size)} each through nginx (lab annotations) to the probe, ${options.rounds} rounds interleaved; the client hashes as it sends`);
    // Warm the path (page cache, nginx keepalive) once so neither side pays for it.
    await pushTemplate({ to: nginx.url, template: sampleTemplate(64 * 2 ** 20, 20) });
    for (let round = 1; round <= options.rounds; round++) {
      await settle(probe);
      client.push((await pushTemplate({ to: nginx.url, template })).bytesPerSecond);
      await settle(probe);
      const run = await curlUpload(asCurl(template), files, nginx.url);
      curl.push(options.size / run.seconds);
      log(`  round ${round}: client ${formatRate(client.at(-1)!)}, curl ${formatRate(curl.at(-1)!)}, load ${os.loadavg()[0]!.toFixed(1)}`);
    }
    await fs.emptyDir(dir);
    await settle(probe);

    log(`client alone in a process at ${formatBytes(options.size)} and ${formatBytes(options.bigSize)}: peak RSS, time to first byte`);
    const small = await childPush(nginx.url, options.size, 31);
    await settle(probe);
    const bigTemplate = sampleTemplate(options.bigSize, 32);
    const big = await childPush(nginx.url, options.bigSize, 32);
    const clientTiming = timing(await logged(nginx, bigTemplate), big.startedAt);
    await settle(probe);
    log(`  ${formatBytes(options.size)}: ${formatBytes(small.maxRssBytes)}; ${formatBytes(options.bigSize)}: ${formatBytes(big.maxRssBytes)} at ${formatRate(big.bytesPerSecond)}, first byte after ${clientTiming.firstByteMs} ms`);

    log(`curl -T at ${formatBytes(options.bigSize)}: writing its files, then the upload`);
    const bigFiles = await filesForCurl(bigTemplate, dir);
    const bigCurl = await curlUpload(asCurl(bigTemplate), bigFiles, nginx.url);
    const curlTiming = timing(await logged(nginx, asCurl(bigTemplate)), bigCurl.startedAt);
    await settle(probe);
    log(`  ${formatRate(options.bigSize / bigCurl.seconds)}, first byte after ${curlTiming.firstByteMs} ms`);
    return {
      generatorBytesPerSecond,
      clientBytesPerSecond: median(client),
      curlBytesPerSecond: median(curl),
      small,
      big,
      bigCurlBytesPerSecond: options.bigSize / bigCurl.seconds,
      clientFirstByteMs: clientTiming.firstByteMs,
      curlFirstByteMs: curlTiming.firstByteMs,
      clientLongestGapMs: clientTiming.longestGapMs,
      curlLongestGapMs: curlTiming.longestGapMs,
    };
  } finally {
    await fs.remove(dir);
    await nginx.stop();
    await probe.stop();
    if (volume) await fs.remove(volume);
  }
}
