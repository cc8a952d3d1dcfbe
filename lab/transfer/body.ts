/**
 * The body of one PUT to the probe in its "at-end" form (lab/transfer/probeServer.mjs): the file's
 * bytes, hashed as they go out, then their sha256 in hex. The first byte leaves at once, whatever the
 * file's size, and the probe still commits only bytes whose sha256 matches the one that closes the body.
 */
import type { Writable } from "node:stream";
import { Worker } from "node:worker_threads";
import { CHUNK, FileGenerator, type SampleTemplate, type TemplateFile } from "./sample.js";

/** The sha256 in hex that ends an "at-end" body. */
export const DIGEST_TAIL = 64;

/** Chunks generated and not yet both written and hashed: the body's memory is this many CHUNKs. */
const IN_FLIGHT = 4;

/** How many bytes the body of `file` has: the file and its sha256 in hex. */
export function bodySize(file: TemplateFile): number {
  return file.size + DIGEST_TAIL;
}

/**
 * The hashing thread's code. It reads the chunks from the shared buffers it was given and answers
 * each with its index, and a file's end with the sha256 in hex. `seq` names the body: a new one
 * starts a new hash (a retry after a failed attempt).
 */
const HASH_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const chunks = workerData.map((shared) => Buffer.from(shared));
let seq = -1;
let hash;
parentPort.on("message", (m) => {
  if (m.seq !== seq) {
    seq = m.seq;
    hash = createHash("sha256");
  }
  if (m.end) return parentPort.postMessage({ seq, sha256: hash.digest("hex") });
  hash.update(chunks[m.chunk].subarray(0, m.length));
  parentPort.postMessage({ seq, chunk: m.chunk });
});
`;

/**
 * The sha256 of bodies, computed on a thread of its own so that hashing (about 1 GB/s on one core)
 * runs beside generating and sending instead of in turn with them. The chunks live in
 * SharedArrayBuffers both threads see, so no byte is copied to be hashed
 * (https://nodejs.org/api/worker_threads.html#new-workerfilename-options: `eval` runs the code given
 * as a string; `workerData` carries the shared buffers). One per push; close() ends the thread.
 */
export class BodyHasher {
  readonly chunks: Buffer[];
  private readonly worker: Worker;
  private seq = 0;
  private readonly waiting = new Map<string, { resolve(sha256: string): void; reject(error: Error): void }>();
  private failure: Error | undefined;

  constructor() {
    const shared = Array.from({ length: IN_FLIGHT }, () => new SharedArrayBuffer(CHUNK));
    this.chunks = shared.map((s) => Buffer.from(s));
    this.worker = new Worker(HASH_WORKER, { eval: true, workerData: shared });
    // A push that ends without close() (a crash in between) must not keep the process alive.
    this.worker.unref();
    this.worker.on("message", (m: { seq: number; chunk?: number; sha256?: string }) => {
      const key = `${m.seq}:${m.sha256 === undefined ? m.chunk : "end"}`;
      const waiter = this.waiting.get(key);
      this.waiting.delete(key);
      waiter?.resolve(m.sha256 ?? "");
    });
    const fail = (error: Error) => {
      this.failure ??= error;
      for (const waiter of this.waiting.values()) waiter.reject(this.failure);
      this.waiting.clear();
    };
    this.worker.on("error", fail).on("exit", (code) => fail(new Error(`the hashing thread ended (exit ${code})`)));
  }

  /** A new body: chunk i's hash, then the digest, in order. */
  begin(): { update(chunk: number, length: number): Promise<void>; digest(): Promise<string> } {
    const seq = ++this.seq;
    // Answers still due for an attempt that failed belong to nobody now.
    this.waiting.clear();
    const ask = (key: string, message: object) =>
      new Promise<string>((resolve, reject) => {
        if (this.failure) return reject(this.failure);
        this.waiting.set(`${seq}:${key}`, { resolve, reject });
        this.worker.postMessage({ seq, ...message });
      });
    return {
      update: async (chunk, length) => void (await ask(String(chunk), { chunk, length })),
      digest: () => ask("end", { end: true }),
    };
  }

  close(): void {
    void this.worker.terminate();
  }
}

/**
 * Writes one file's body into `sink` and ends it; resolves with the file's sha256 (hex).
 *
 * Bounded memory, no copies and no garbage: IN_FLIGHT shared chunks. Each is generated into, then
 * at once handed to the hashing thread and to write() with a callback; Writable calls that callback
 * once the chunk is written to the socket, or failed
 * (https://nodejs.org/api/stream.html#writablewritechunk-encoding-callback). A chunk is filled
 * again only when both are done with it, so the hash sees exactly the bytes handed to the socket,
 * and several chunks queued keep the socket busy while the next one is generated.
 */
export async function writeBody(
  template: SampleTemplate,
  file: TemplateFile,
  sink: Writable,
  hasher: BodyHasher,
  onBytes: (n: number) => void,
  onDigest?: (sha256: string) => void,
): Promise<string> {
  const generator = new FileGenerator(template, file);
  const hash = hasher.begin();
  const free = hasher.chunks.map((_, i) => i);
  const users = new Map<number, number>();
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const release = (i: number) => {
    const left = users.get(i)! - 1;
    if (left > 0) return void users.set(i, left);
    users.delete(i);
    free.push(i);
    wake?.();
  };
  for (;;) {
    if (free.length === 0) await untilClosed(sink, (done) => (wake = done)).finally(() => (wake = undefined));
    if (failure) throw failure;
    const i = free.pop()!;
    const buffer = hasher.chunks[i]!;
    let chunk = generator.next(buffer);
    if (chunk.length === 0) break;
    // The config yaml comes as text of its own: into the shared chunk, where the hash reads it.
    if (chunk.buffer !== buffer.buffer) chunk = buffer.subarray(0, chunk.copy(buffer));
    users.set(i, 2);
    hash.update(i, chunk.length).then(
      () => release(i),
      (error: Error) => {
        failure ??= error;
        release(i);
      },
    );
    sink.write(chunk, (error?: Error | null) => {
      if (error) failure ??= error;
      release(i);
    });
    onBytes(chunk.length);
  }
  const sha256 = await hash.digest();
  onDigest?.(sha256);
  // An http.ClientRequest calls end()'s callback on 'finish' only, never when it is destroyed
  // first (node lib/_http_outgoing.js, OutgoingMessage.prototype.end), hence the wait on 'close' too.
  await untilClosed(sink, (done) => sink.end(sha256, done));
  return sha256;
}

/**
 * Waits for `start`'s callback (a chunk given back, the body's end), or rejects when the sink
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
