import { createHash } from "node:crypto";
import { Readable } from "node:stream";

/**
 * A sample VM template in the shape of an Anka template: a config yaml, an nvram file, several
 * `.ank` image layers and a suspend-state file (Anka's registry keeps `images[]`, `state_files[]`
 * and a `config_file` per version: GET /registry/v2/vm?id=…, veertuinc/anka-docs
 * anka-build-cloud/working-with-registry-and-API.md). The bytes come from
 * xoshiro128** seeded by the seed and the file's name: incompressible (no proxy or disk can
 * shrink them), identical for the same seed and size, generated at several GB/s into reused
 * buffers, and never stored on the client; a checksum is known by generating the file again.
 */
export interface TemplateFile {
  /** Path inside the template, e.g. images/layer-1.ank. */
  readonly path: string;
  readonly size: number;
}

export interface SampleTemplate {
  readonly name: string;
  readonly seed: number;
  readonly files: readonly TemplateFile[];
  readonly totalSize: number;
}

const NVRAM = 256 * 1024;
const MAX_LAYERS = 4;

/** The sample's layout for a total size; every byte of `totalSize` is in some file. */
export function sampleTemplate(totalSize: number, seed = 1): SampleTemplate {
  if (!Number.isSafeInteger(totalSize) || totalSize < 1024 * 1024) throw new RangeError("a sample template needs at least 1Mi");
  const name = `anka-lab-sample-${seed}-${totalSize}`;
  const config = configYaml(name, totalSize);
  const fixed = Buffer.byteLength(config) + NVRAM;
  const rest = totalSize - fixed;
  const state = Math.floor(rest / 10);
  const layers = rest - state;
  const count = Math.min(MAX_LAYERS, Math.max(1, Math.floor(layers / (256 * 1024 * 1024))));
  const files: TemplateFile[] = [
    { path: `${name}.yaml`, size: Buffer.byteLength(config) },
    { path: "nvram", size: NVRAM },
  ];
  for (let i = 0; i < count; i++) {
    const size = i === count - 1 ? layers - Math.floor(layers / count) * (count - 1) : Math.floor(layers / count);
    files.push({ path: `images/layer-${i}.ank`, size });
  }
  files.push({ path: "state_files/suspend.ank", size: state });
  return { name, seed, files, totalSize };
}

function configYaml(name: string, totalSize: number): string {
  return `# anka-lab sample template (generated, not a bootable VM)\nname: ${name}\ncpu: 4\nram: 8G\nsize: ${totalSize}\n`;
}

/** xoshiro128** (Blackman and Vigna, https://prng.di.unimi.it/xoshiro128starstar.c), seeded from sha256. */
class Xoshiro128 {
  private readonly s: Uint32Array;

  constructor(seed: number, path: string) {
    const digest = createHash("sha256").update(`anka-lab-sample\0${seed}\0${path}`).digest();
    this.s = new Uint32Array(digest.buffer.slice(digest.byteOffset, digest.byteOffset + 16));
    if (this.s.every((x) => x === 0)) this.s[0] = 1;
  }

  /** Fills whole 32-bit words of `out` (its length must be a multiple of 4). */
  fill(out: Uint32Array): void {
    const s = this.s;
    let s0 = s[0]!, s1 = s[1]!, s2 = s[2]!, s3 = s[3]!;
    for (let i = 0; i < out.length; i++) {
      const x = Math.imul(s1, 5);
      out[i] = Math.imul((x << 7) | (x >>> 25), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
    }
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
  }
}

export const CHUNK = 1024 * 1024;

/** Produces one file's bytes chunk by chunk into buffers the caller owns. */
export class FileGenerator {
  private left: number;
  private readonly rng: Xoshiro128 | undefined;
  private readonly text: Buffer | undefined;

  constructor(template: SampleTemplate, readonly file: TemplateFile) {
    this.left = file.size;
    if (file.path.endsWith(".yaml")) this.text = Buffer.from(configYaml(template.name, template.totalSize));
    else this.rng = new Xoshiro128(template.seed, file.path);
  }

  /** Fills `into` (CHUNK bytes, 4-byte aligned) and returns the part that holds data; empty at the end. */
  next(into: Buffer): Buffer {
    if (this.left === 0) return into.subarray(0, 0);
    if (this.text) {
      this.left = 0;
      return this.text;
    }
    const n = Math.min(into.length, this.left);
    this.rng!.fill(new Uint32Array(into.buffer, into.byteOffset, Math.ceil(n / 4)));
    this.left -= n;
    return into.subarray(0, n);
  }
}

/** A CHUNK-sized buffer that can be viewed as 32-bit words. */
export function chunkBuffer(): Buffer {
  return Buffer.alloc(CHUNK);
}

/** The bytes of one file as a stream of fresh chunks (for tools that need a stream or a file on disk). */
export function fileStream(template: SampleTemplate, file: TemplateFile): Readable {
  const generator = new FileGenerator(template, file);
  const scratch = chunkBuffer();
  return new Readable({
    read() {
      const chunk = generator.next(scratch);
      this.push(chunk.length === 0 ? null : Buffer.from(chunk));
    },
  });
}

/** The sha256 of one file, by generating it into one reused buffer (no disk, no garbage). */
export async function fileSha256(template: SampleTemplate, file: TemplateFile, signal?: AbortSignal): Promise<string> {
  const hash = createHash("sha256");
  const generator = new FileGenerator(template, file);
  const scratch = chunkBuffer();
  for (let i = 1; ; i++) {
    const chunk = generator.next(scratch);
    if (chunk.length === 0) break;
    hash.update(chunk);
    // Let timers, progress and Ctrl-C run now and then, and stop on Ctrl-C.
    if (i % 64 === 0) {
      await new Promise((resolve) => setImmediate(resolve));
      signal?.throwIfAborted();
    }
  }
  return hash.digest("hex");
}
