import { execFile } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { formatBytes } from "../../lab/config/size.js";
import { startNginx } from "../../test/support/nginx.js";
import { startProbe } from "../../test/support/localProbe.js";
import { fileUrl, pushTemplate } from "../../lab/transfer/client.js";
import { formatRate } from "../../lab/transfer/progress.js";
import { fileSha256, fileStream, sampleTemplate, type SampleTemplate } from "../../lab/transfer/sample.js";

const run = promisify(execFile);
const GiB = 2 ** 30;
const ROUNDS = 3;

export interface TransferFigures {
  generatorBytesPerSecond: number;
  clientBytesPerSecond: number;
  curlBytesPerSecond: number;
  rss1GiB: number;
  rss8GiB: number;
}

/** How fast one core generates sample bytes (no disk, no network). */
export async function generatorRate(bytes: number): Promise<number> {
  const template = sampleTemplate(bytes, 99);
  const start = process.hrtime.bigint();
  let n = 0;
  for (const file of template.files) for await (const chunk of fileStream(template, file)) n += (chunk as Buffer).length;
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** The same bytes on disk for curl, which uploads files; with their checksums. */
async function filesForCurl(template: SampleTemplate, dir: string): Promise<{ file: SampleTemplate["files"][number]; path: string; sha: string }[]> {
  const files = [];
  for (const file of template.files) {
    const path = join(dir, file.path.replaceAll("/", "_"));
    await pipeline(fileStream(template, file), createWriteStream(path));
    files.push({ file, path, sha: await fileSha256(template, file) });
  }
  return files;
}

/** One curl -T run of every file, timed over the uploads only. */
async function curlOnce(template: SampleTemplate, files: Awaited<ReturnType<typeof filesForCurl>>, to: string): Promise<number> {
  const start = process.hrtime.bigint();
  for (const { file, path, sha } of files) {
    const url = fileUrl(to, { ...template, name: `${template.name}-curl` }, file);
    // "Expect:" turns off curl's 100-continue round trip, which the lab's client does not make either.
    const { stdout } = await run("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-T", path, "-H", `x-anka-lab-sha256: ${sha}`, "-H", "Expect:", url]);
    if (stdout.trim() !== "201") throw new Error(`curl -T ${file.path} got HTTP ${stdout.trim()}`);
  }
  return template.totalSize / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** Flushes dirty pages so one run's disk writeback does not slow the next. */
async function settleDisk(root: string): Promise<void> {
  rmSync(join(root, "files"), { recursive: true, force: true });
  await run("sync", []);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function childPush(to: string, size: number, seed: number): Promise<{ maxRssBytes: number; bytesPerSecond: number }> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", join(import.meta.dirname, "pushChild.ts"), to, String(size), String(seed)], {
    maxBuffer: 2 ** 20,
  });
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

/** The whole benchmark: one probe behind one nginx with the lab's annotations, all on 127.0.0.1. */
export async function benchTransfer(log: (line: string) => void, options: { size: number; bigSize: number }): Promise<TransferFigures> {
  log(`generator: ${formatBytes(2 * GiB)} of sample bytes on one core`);
  const generatorBytesPerSecond = await generatorRate(2 * GiB);
  log(`  ${formatRate(generatorBytesPerSecond)}`);

  const probe = await startProbe();
  const nginx = await startNginx("lab-annotations", probe.port);
  try {
    const template = sampleTemplate(options.size, 21);
    const dir = mkdtempSync(join(tmpdir(), "anka-lab-bench-curl-"));
    const client: number[] = [];
    const curl: number[] = [];
    try {
      const files = await filesForCurl(template, dir);
      log(`client vs curl -T: ${formatBytes(options.size)} each through nginx (lab annotations) to the probe, ${ROUNDS} rounds interleaved`);
      // Warm the path (page cache, nginx keepalive) once so neither side pays for it.
      await pushTemplate({ to: nginx.url, template: sampleTemplate(64 * 2 ** 20, 20) });
      for (let round = 1; round <= ROUNDS; round++) {
        await settleDisk(probe.root);
        client.push((await pushTemplate({ to: nginx.url, template })).bytesPerSecond);
        await settleDisk(probe.root);
        curl.push(await curlOnce(template, files, nginx.url));
        log(`  round ${round}: client ${formatRate(client.at(-1)!)}, curl ${formatRate(curl.at(-1)!)}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await settleDisk(probe.root);

    log(`client peak RSS at ${formatBytes(options.size)} and ${formatBytes(options.bigSize)} (separate processes)`);
    const small = await childPush(nginx.url, options.size, 31);
    await settleDisk(probe.root);
    const big = await childPush(nginx.url, options.bigSize, 32);
    await settleDisk(probe.root);
    log(`  ${formatBytes(options.size)}: ${formatBytes(small.maxRssBytes)} at ${formatRate(small.bytesPerSecond)}; ${formatBytes(options.bigSize)}: ${formatBytes(big.maxRssBytes)} at ${formatRate(big.bytesPerSecond)}`);
    return {
      generatorBytesPerSecond,
      clientBytesPerSecond: median(client),
      curlBytesPerSecond: median(curl),
      rss1GiB: small.maxRssBytes,
      rss8GiB: big.maxRssBytes,
    };
  } finally {
    await nginx.stop();
    await probe.stop();
  }
}
