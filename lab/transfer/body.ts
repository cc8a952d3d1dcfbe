/**
 * The body of one PUT to the probe in its "at-end" form (lab/transfer/probeServer.mjs): the file's
 * bytes, hashed as they go out, then their sha256 in hex. The first byte leaves at once, whatever the
 * file's size, and the probe still commits only bytes whose sha256 matches the one that closes the body.
 */
import { createHash } from "node:crypto";
import type { Writable } from "node:stream";
import { FileGenerator, chunkBuffer, type SampleTemplate, type TemplateFile } from "./sample.js";

/** The sha256 in hex that ends an "at-end" body. */
export const DIGEST_TAIL = 64;

/**
 * Chunks handed to the socket and not yet written by it: the body's memory is this many 1 MiB
 * chunks. Several queued keep the socket busy while the next one is generated and hashed, and ride
 * out the event loop being scheduled late on a busy machine; each adds 1 MiB to the peak RSS.
 */
const IN_FLIGHT = 8;

/** How many bytes the body of `file` has: the file and its sha256 in hex. */
export function bodySize(file: TemplateFile): number {
  return file.size + DIGEST_TAIL;
}

/**
 * Writes one file's body into `sink` and ends it; resolves with the file's sha256 (hex), after
 * calling `onDigest` with it the moment it is known (the last chunk handed to the socket).
 *
 * Bounded memory, no copies and no garbage: IN_FLIGHT reused buffers. Each is generated into,
 * hashed, and handed to write() with a callback; Writable calls that callback once the chunk is
 * written to the socket, or failed (https://nodejs.org/api/stream.html#writablewritechunk-encoding-callback),
 * and only then is the buffer filled again, so the hash sees exactly the bytes the socket sends.
 *
 * The hash runs here, on the event loop, between chunks. A worker thread hashing beside it, over
 * shared buffers, was measured too (the transfer bench, 2 cores shared with nginx and the probe):
 * it cost more CPU per GiB than hashing here, and was slower in three of four comparisons.
 */
export async function writeBody(
  template: SampleTemplate,
  file: TemplateFile,
  sink: Writable,
  onBytes: (n: number) => void,
  onDigest?: (sha256: string) => void,
): Promise<string> {
  const generator = new FileGenerator(template, file);
  const hash = createHash("sha256");
  const free = Array.from({ length: IN_FLIGHT }, () => chunkBuffer());
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const released = (buffer: Buffer) => (error?: Error | null) => {
    if (error) failure ??= error;
    free.push(buffer);
    wake?.();
  };
  for (;;) {
    if (free.length === 0) await untilClosed(sink, (done) => (wake = done)).finally(() => (wake = undefined));
    if (failure) throw failure;
    const buffer = free.pop()!;
    const chunk = generator.next(buffer);
    if (chunk.length === 0) break;
    hash.update(chunk);
    sink.write(chunk, released(buffer));
    onBytes(chunk.length);
  }
  const sha256 = hash.digest("hex");
  onDigest?.(sha256);
  // An http.ClientRequest calls end()'s callback on 'finish' only, never when it is destroyed
  // first (node lib/_http_outgoing.js, OutgoingMessage.prototype.end), hence the wait on 'close' too.
  await untilClosed(sink, (done) => sink.end(sha256, done));
  return sha256;
}

/**
 * Waits for `start`'s callback (a buffer given back, the body's end), or rejects when the sink
 * fails or closes first: write callbacks of a request that is destroyed may never be called.
 */
function untilClosed(sink: Writable, start: (done: () => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const closed = () => reject(Object.assign(new Error("the connection closed while sending"), { code: "ECONNRESET" }));
    // Destroyed already: its 'close' has been emitted and will not come again.
    if (sink.destroyed) return closed();
    const cleanup = () => {
      sink.off("error", onError);
      sink.off("close", onClose);
    };
    const onError = (error: Error) => (cleanup(), reject(error));
    const onClose = () => (cleanup(), closed());
    sink.once("error", onError).once("close", onClose);
    start(() => (cleanup(), resolve()));
  });
}
