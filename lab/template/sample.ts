import { createCipheriv, createHash } from "node:crypto";
import { Readable } from "node:stream";

/**
 * A sample VM template in the shape of an Anka template: a config yaml, an nvram file, several
 * `.ank` image layers and a suspend-state file (Anka's registry keeps `images[]`, `state_files[]`
 * and a `config_file` per version: ../shared/reference/anka-and-etcd.md s4). The bytes are an
 * AES-128-CTR keystream keyed by the seed and the file's name: incompressible (no proxy or disk can
 * shrink them), identical for the same seed and size, generated at memory speed, and never stored
 * on the client; a checksum is known by generating the stream again.
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

function keyFor(seed: number, path: string): { key: Buffer; iv: Buffer } {
  const digest = createHash("sha256").update(`anka-lab-sample\0${seed}\0${path}`).digest();
  return { key: digest.subarray(0, 16), iv: digest.subarray(16, 32) };
}

const CHUNK = 1024 * 1024;
const ZEROS = Buffer.alloc(CHUNK);

/** The bytes of one file, as a stream of chunks of at most 1 MiB. */
export function fileStream(template: SampleTemplate, file: TemplateFile): Readable {
  if (file.path.endsWith(".yaml")) return Readable.from([Buffer.from(configYaml(template.name, template.totalSize))]);
  const { key, iv } = keyFor(template.seed, file.path);
  const cipher = createCipheriv("aes-128-ctr", key, iv);
  let left = file.size;
  return new Readable({
    highWaterMark: 4 * CHUNK,
    read() {
      if (left === 0) {
        this.push(null);
        return;
      }
      const n = Math.min(CHUNK, left);
      left -= n;
      this.push(cipher.update(n === CHUNK ? ZEROS : ZEROS.subarray(0, n)));
    },
  });
}

/** The sha256 of one file, by generating it (no disk). */
export async function fileSha256(template: SampleTemplate, file: TemplateFile): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of fileStream(template, file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
