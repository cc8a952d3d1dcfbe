import { createHash } from "node:crypto";
import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { CHUNK, FileGenerator, chunkBuffer, fileSha256, sampleTemplate } from "../lab/transfer/sample.js";

/** Every byte of one file of the sample, as the generator hands it out. */
function bytesOf(seed: number, size: number, path: string): Buffer {
  const template = sampleTemplate(size, seed);
  const file = template.files.find((f) => f.path === path)!;
  const generator = new FileGenerator(template, file);
  const chunks: Buffer[] = [];
  // The generator fills the caller's buffer: each chunk is copied out before the next.
  for (let chunk = generator.next(chunkBuffer()); chunk.length > 0; chunk = generator.next(chunkBuffer())) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe("the sample template's bytes", () => {
  const size = 12 * 2 ** 20;

  it("are as many as the file's size, in chunks of at most 1 MiB, and the same for the same seed and size", () => {
    const template = sampleTemplate(size, 7);
    for (const file of template.files) {
      const generator = new FileGenerator(template, file);
      const scratch = chunkBuffer();
      let total = 0;
      for (let chunk = generator.next(scratch); chunk.length > 0; chunk = generator.next(scratch)) {
        expect(chunk.length).toBeLessThanOrEqual(CHUNK);
        total += chunk.length;
      }
      expect(total).toBe(file.size);
    }
    expect(bytesOf(7, size, "images/layer-0.ank").equals(bytesOf(7, size, "images/layer-0.ank"))).toBe(true);
  });

  it("differ between seeds and between files of one seed", () => {
    const layer = bytesOf(7, size, "images/layer-0.ank");
    expect(layer.subarray(0, 4096).equals(bytesOf(8, size, "images/layer-0.ank").subarray(0, 4096))).toBe(false);
    expect(layer.subarray(0, 4096).equals(bytesOf(7, size, "state_files/suspend.ank").subarray(0, 4096))).toBe(false);
  });

  it("cannot be shrunk, and do not repeat from one MiB to the next", () => {
    const layer = bytesOf(7, size, "images/layer-0.ank");
    // deflate at its best effort finds nothing to take out of random bytes (RFC 1951 stored blocks add a little).
    expect(deflateRawSync(layer.subarray(0, 4 * CHUNK), { level: 9 }).length).toBeGreaterThanOrEqual(4 * CHUNK);
    const digests = new Set<string>();
    for (let at = 0; at + CHUNK <= layer.length; at += CHUNK) digests.add(createHash("sha256").update(layer.subarray(at, at + CHUNK)).digest("hex"));
    expect(digests.size).toBe(Math.floor(layer.length / CHUNK));
  });

  it("have the sha256 that fileSha256 gives, by generating the file again", async () => {
    const template = sampleTemplate(size, 7);
    const file = template.files.find((f) => f.path === "nvram")!;
    const expected = createHash("sha256").update(bytesOf(7, size, "nvram")).digest("hex");
    expect(await fileSha256(template, file)).toBe(expected);
  });
});
