import { createHash } from "node:crypto";
import { existsSync, readdirSync, statSync } from "node:fs";
import { request } from "node:http";
import { connect, createServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PushError, fileUrl, pushTemplate } from "../lab/transfer/client.js";
import { sampleTemplate } from "../lab/transfer/sample.js";
import { notYet, ready, waitFor } from "../lab/wait.js";
import { hasBinary, skipReason } from "./support/binaries.js";
import { startNginx, type Nginx } from "./support/nginx.js";
import { startProbe, type RunningProbe } from "./support/localProbe.js";
import { tamperingProxy } from "./support/tamperingProxy.js";

/**
 * The lab's push path for real: the probe from the rendered ConfigMap, run by local node, behind
 * Debian's nginx configured as ingress-nginx (a) without and (b) with the lab's annotations.
 */
const runnable = hasBinary("nginx");
if (!runnable) skipReason("real transfers through nginx", "nginx", "on Debian: apt-get install nginx-light; on a Mac: brew install nginx");

const GiB = 2 ** 30;

function storedFiles(root: string): string[] {
  const files = join(root, "files");
  if (!existsSync(files)) return [];
  return readdirSync(files, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && !d.name.endsWith(".sha256"))
    .map((d) => join(d.parentPath, d.name).slice(files.length + 1))
    .sort();
}

function partials(root: string): string[] {
  return existsSync(join(root, ".partial")) ? readdirSync(join(root, ".partial")) : [];
}

/** Bytes the probe holds in temp files of bodies in flight. */
function partialBytes(root: string): number {
  return partials(root).reduce((n, name) => n + (statSync(join(root, ".partial", name), { throwIfNoEntry: false })?.size ?? 0), 0);
}

async function sha256Of(url: string): Promise<{ sha: string; bytes: number; header: string | null }> {
  const response = await fetch(url);
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of response.body!) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha: hash.digest("hex"), bytes, header: response.headers.get("x-anka-lab-sha256") };
}

/** A raw request, so tests can send what no well-behaved client would. */
function raw(url: string, method: string, path: string, headers: Record<string, string | number> = {}, body?: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // host/port/path given apart: a URL would have its dot segments resolved before sending.
    const { hostname, port } = new URL(url);
    const req = request({ hostname, port, path, method, headers }, (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe.runIf(runnable)("pushes through nginx configured like ingress-nginx, for real", () => {
  let probe: RunningProbe;
  let defaults: Nginx;
  let annotated: Nginx;
  beforeAll(async () => {
    probe = await startProbe();
    defaults = await startNginx("ingress-defaults", probe.port);
    annotated = await startNginx("lab-annotations", probe.port);
  });
  afterAll(async () => {
    await Promise.all([defaults?.stop(), annotated?.stop()]);
    await probe?.stop();
  });

  it("(a) without the annotations: 413 from nginx, explained, and nothing stored", async () => {
    const template = sampleTemplate(4 * 2 ** 20, 11);
    const error = await pushTemplate({ to: defaults.url, template, attempts: 1 }).catch((e) => e);
    expect(error).toBeInstanceOf(PushError);
    expect(error.status).toBe(413);
    expect(error.message).toBe(
      'images/layer-0.ank: 413 from nginx: the Ingress lacks proxy-body-size: "0" (ingress-nginx refuses bodies over 1m by default); the lab\'s registry Ingress sets it, check the annotations on yours',
    );
    expect(defaults.errorLog()).toContain("client intended to send too large body");
    expect(storedFiles(probe.root).filter((f) => f.startsWith(template.name + "/images"))).toEqual([]);
  });

  it("(b) with the annotations: 1 GiB lands with every sha256 verified, and reads back intact", async () => {
    const template = sampleTemplate(GiB, 12);
    const seen: number[] = [];
    const result = await pushTemplate({ to: annotated.url, template, onProgress: (p) => seen.push(p.totalBytes) });
    expect(result.bytes).toBe(GiB);
    expect(result.files.map((f) => f.path)).toEqual(template.files.map((f) => f.path));
    expect(seen.at(-1)).toBe(GiB);
    expect(storedFiles(probe.root).filter((f) => f.startsWith(template.name))).toEqual(template.files.map((f) => `${template.name}/${f.path}`).sort());
    for (const file of template.files) expect(statSync(join(probe.root, "files", template.name, file.path)).size).toBe(file.size);
    const layer = template.files.find((f) => f.path.endsWith(".ank"))!;
    const back = await sha256Of(fileUrl(annotated.url, template, layer));
    expect(back.bytes).toBe(layer.size);
    expect(back.sha).toBe(result.files.find((f) => f.path === layer.path)!.sha256);
    expect(back.header).toBe(back.sha);
    expect(partials(probe.root)).toEqual([]);
  });

  it("commits nothing when the connection is reset mid-transfer, and says so", async () => {
    const proxy = await tamperingProxy(probe.port, 8 * 2 ** 20, "reset");
    try {
      const template = sampleTemplate(64 * 2 ** 20, 13);
      const error = await pushTemplate({ to: proxy.url, template, attempts: 1 }).catch((e) => e);
      expect(error).toBeInstanceOf(PushError);
      expect(error.message).toMatch(/connection reset mid-transfer: .*nothing partial was committed/);
      await waitFor("the probe to drop the partial file", async () => (partials(probe.root).length === 0 ? ready(true) : notYet(partials(probe.root).join(","))), {
        timeoutMs: 10_000,
        intervalMs: 50,
      });
      expect(storedFiles(probe.root).filter((f) => f.startsWith(template.name + "/images"))).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it("retries a reset (safe: whole-file PUTs) and lands the file on the next attempt", async () => {
    const proxy = await tamperingProxy(probe.port, 3 * 2 ** 20, "reset");
    try {
      const template = sampleTemplate(8 * 2 ** 20, 14);
      const retried: string[] = [];
      const result = await pushTemplate({ to: proxy.url, template, attempts: 3, backoffMs: 10, onRetry: (f, _, e) => retried.push(`${f}: ${e.message}`) });
      expect(proxy.tampered()).toBe(true);
      expect(retried).toEqual([expect.stringMatching(/^anka-lab-sample-1-\d+\.yaml|^nvram|^images\/layer-0\.ank: connection reset mid-transfer/)]);
      expect(result.files.reduce((n, f) => n + f.attempts, 0)).toBe(template.files.length + 1);
      expect(storedFiles(probe.root).filter((f) => f.startsWith(template.name))).toHaveLength(template.files.length);
    } finally {
      await proxy.close();
    }
  });

  it("sends the next file while the probe commits the one before, on a connection of its own", async () => {
    // A TCP proxy that holds each connection's answer until the next connection opens (or 1 s
    // pass): a push that waited for each answer before the next file would meet every hold.
    const sockets = new Set<Socket>();
    const releases: (() => void)[] = [];
    let overlapped = 0;
    const gate = createServer((client) => {
      const k = releases.length;
      releases[k - 1]?.();
      const upstream = connect(probe.port, "127.0.0.1");
      let open = false;
      let ended = false;
      const held: Buffer[] = [];
      const release = () => {
        if (open) return;
        open = true;
        for (const chunk of held.splice(0)) client.write(chunk);
        // The probe closes each file's connection after its answer: the end follows the answer.
        if (ended) client.end();
      };
      releases.push(() => {
        if (!open) overlapped++;
        release();
      });
      setTimeout(release, 1000).unref();
      upstream.on("data", (chunk: Buffer) => (open ? client.write(chunk) : held.push(chunk)));
      client.pipe(upstream);
      for (const s of [client, upstream]) sockets.add(s.on("error", () => undefined).on("close", () => sockets.delete(s)));
      upstream.on("end", () => {
        ended = true;
        if (open) client.end();
      });
    });
    await new Promise<void>((resolve) => gate.listen(0, "127.0.0.1", resolve));
    try {
      const template = sampleTemplate(4 * 2 ** 20, 16);
      const result = await pushTemplate({ to: `http://127.0.0.1:${(gate.address() as AddressInfo).port}`, template, attempts: 1 });
      expect(result.files.map((f) => f.path)).toEqual(template.files.map((f) => f.path));
      // One connection per file, and every file but the last was still unanswered when the next began.
      expect(releases).toHaveLength(template.files.length);
      expect(overlapped).toBe(template.files.length - 1);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => gate.close(resolve));
    }
  });

  it("a failure stops the files after it, while the file before it still hears that it was stored", async () => {
    // A hold of 1 s after each body keeps a file waiting for its answer while the next one is sent;
    // one bit flipped 4 KiB into the last file's connection (past its request head): a 422 at its end.
    const template = sampleTemplate(4 * 2 ** 20, 22);
    const proxy = await tamperingProxy(probe.port, 4096, "flip", { connection: template.files.length - 1 });
    try {
      const error = await pushTemplate({ to: proxy.url, template: { ...template }, holdMs: 1000, attempts: 1 }).catch((e) => e);
      const [before, last] = template.files.slice(-2);
      expect(error.message).toMatch(new RegExp(`^${last!.path}: 422 from the probe`));
      // The file before it was committing when the 422 came: it was let finish, and is stored.
      expect(storedFiles(probe.root)).toContain(`${template.name}/${before!.path}`);
    } finally {
      await proxy.close();
    }
  });

  it("a stop before the first file is an interrupted push, never an empty success", async () => {
    const error = await pushTemplate({ to: probe.url, template: sampleTemplate(2 ** 20, 23), signal: AbortSignal.abort() }).catch((e) => e);
    expect(error).toBeInstanceOf(PushError);
    expect(error.message).toMatch(/^anka-lab-sample-23-\d+\.yaml: interrupted$/);
  });

  it("the probe commits nothing for a client gone before its answer", async () => {
    // The whole body, then a hold: the client leaves during it, as a stopped push does.
    const body = Buffer.from("a file whose client left before the answer");
    const path = "/anka-lab-probe/files/gone/file";
    const req = request({ hostname: "127.0.0.1", port: probe.port, path, method: "PUT", headers: { "x-anka-lab-sha256": "at-end", "x-anka-lab-hold-ms": "3000", "content-length": body.length + 64 } });
    req.on("error", () => undefined);
    req.end(Buffer.concat([body, Buffer.from(createHash("sha256").update(body).digest("hex"))]));
    // The probe holds the whole file in its temp file: the body is in, the commit not yet.
    await waitFor("the probe to hold the whole body", async () => (partialBytes(probe.root) === body.length ? ready(true) : notYet(`${partialBytes(probe.root)} bytes`)), { timeoutMs: 5000, intervalMs: 20 });
    req.destroy();
    await waitFor("the probe to drop the temp file", async () => (partials(probe.root).length === 0 ? ready(true) : notYet(partials(probe.root).join(","))), { timeoutMs: 10_000, intervalMs: 50 });
    expect(storedFiles(probe.root).filter((f) => f.startsWith("gone/"))).toEqual([]);
  });

  it("hashes as it sends: the probe holds bytes of a layer before the client's sha256 of that layer is complete", async () => {
    const template = sampleTemplate(64 * 2 ** 20, 17);
    const layer = template.files.find((f) => f.path.endsWith(".ank"))!;
    const atDigest = new Map<string, { partial: number; stored: boolean }>();
    const result = await pushTemplate({
      to: annotated.url,
      template,
      onDigest: (file) => atDigest.set(file.path, { partial: partialBytes(probe.root), stored: existsSync(join(probe.root, "files", template.name, file.path)) }),
    });
    // The order of events, no clock: when the client's hash of the 50 MiB layer is done, the probe
    // already writes that layer (more of it than every buffer between them holds), and has not stored it.
    expect(atDigest.get(layer.path)!.partial).toBeGreaterThan(0);
    expect(atDigest.get(layer.path)!.stored).toBe(false);
    expect(result.files.find((f) => f.path === layer.path)!.sha256).toBe((await sha256Of(fileUrl(annotated.url, template, layer))).sha);
  });

  it("a byte corrupted in flight: 422, the layer is not stored and nothing partial stays", async () => {
    // 8 MiB in is inside layer-0 (the yaml and nvram come first, 256 KiB).
    const proxy = await tamperingProxy(probe.port, 8 * 2 ** 20, "flip");
    try {
      const template = sampleTemplate(16 * 2 ** 20, 18);
      const error = await pushTemplate({ to: proxy.url, template, attempts: 1 }).catch((e) => e);
      expect(proxy.tampered()).toBe(true);
      expect(error).toBeInstanceOf(PushError);
      expect(error.status).toBe(422);
      expect(error.message).toMatch(/^images\/layer-0\.ank: 422 from the probe: the bytes that arrived do not match the declared size and sha256, so nothing was stored \(got \d+ bytes with sha256 [0-9a-f]{64}; declared \d+ bytes with sha256 [0-9a-f]{64}; nothing stored\)$/);
      // The files before the layer are stored; the layer is not. The file after it, begun while the
      // probe read the layer's last bytes, is cut by the failure (or was stored whole already).
      const stored = storedFiles(probe.root).filter((f) => f.startsWith(template.name));
      expect(stored).toEqual(expect.arrayContaining([`${template.name}/${template.files[0]!.path}`, `${template.name}/nvram`]));
      expect(stored).not.toContain(`${template.name}/images/layer-0.ank`);
      await waitFor("the probe to drop the partial files", async () => (partials(probe.root).length === 0 ? ready(true) : notYet(partials(probe.root).join(","))), {
        timeoutMs: 10_000,
        intervalMs: 50,
      });
    } finally {
      await proxy.close();
    }
  });

  it("takes the sha256 at the end of the body: stores the file without it, and nothing when the two disagree", async () => {
    const file = Buffer.from("the bytes of a small file");
    const sha = createHash("sha256").update(file).digest("hex");
    const put = (name: string, body: Buffer) =>
      raw(probe.url, "PUT", `/anka-lab-probe/files/at-end/${name}`, { "x-anka-lab-sha256": "at-end", "content-length": body.length }, body);
    expect((await put("good", Buffer.concat([file, Buffer.from(sha)]))).status).toBe(201);
    expect(await sha256Of(`${probe.url}/anka-lab-probe/files/at-end/good`)).toEqual({ sha, bytes: file.length, header: sha });
    const otherSha = `${sha[0] === "0" ? "1" : "0"}${sha.slice(1)}`;
    const wrong = await put("wrong-sha", Buffer.concat([file, Buffer.from(otherSha)]));
    expect([wrong.status, JSON.parse(wrong.body).message]).toEqual([422, `got ${file.length} bytes with sha256 ${sha}; declared ${file.length} bytes with sha256 ${otherSha}; nothing stored`]);
    const notHex = await put("not-hex", Buffer.concat([file, Buffer.alloc(64, "z")]));
    expect([notHex.status, JSON.parse(notHex.body).message]).toEqual([422, `got ${file.length} bytes with sha256 ${sha}; declared ${file.length} bytes with a body whose last 64 bytes are not a sha256 in hex; nothing stored`]);
    const short = await put("short", Buffer.from("abc"));
    expect([short.status, JSON.parse(short.body).message]).toEqual([400, "a body with its sha256 at the end has at least those 64 bytes; this one declares 3"]);
    expect(storedFiles(probe.root).filter((f) => f.startsWith("at-end/"))).toEqual(["at-end/good"]);
    expect(partials(probe.root)).toEqual([]);
  });

  it("the stall watch sleeps through a requested hold, and still cuts a path where no byte moves", async () => {
    // A hold 2.5 times the stall time after each body: the silence was asked for, so no stall. The
    // stall time stays well above a busy machine's pauses (400 ms was cut once under CI load).
    const template = sampleTemplate(2 ** 20, 19);
    const held = await pushTemplate({ to: probe.url, template, holdMs: 2500, stallMs: 1000, attempts: 1 });
    expect(held.bytes).toBe(template.totalSize);
    // A peer that accepts and never reads: the socket's buffers fill and no chunk moves.
    const sockets: Socket[] = [];
    const deaf = createServer((socket) => void sockets.push(socket.pause()));
    await new Promise<void>((resolve) => deaf.listen(0, "127.0.0.1", resolve));
    try {
      const error = await pushTemplate({ to: `http://127.0.0.1:${(deaf.address() as AddressInfo).port}`, template: sampleTemplate(64 * 2 ** 20, 19), stallMs: 1000, attempts: 1 }).catch((e) => e);
      expect(error).toBeInstanceOf(PushError);
      expect(error.message).toMatch(/: no progress for 1 s: the path stalled/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => deaf.close(resolve));
    }
  });

  it("Ctrl-C during the backoff between attempts ends the push at once", async () => {
    const proxy = await tamperingProxy(probe.port, 2 ** 20, "reset");
    try {
      const controller = new AbortController();
      // A backoff of ten minutes: only the signal can end it within the test's time.
      const error = await pushTemplate({ to: proxy.url, template: sampleTemplate(8 * 2 ** 20, 20), attempts: 3, backoffMs: 600_000, signal: controller.signal, onRetry: () => controller.abort() }).catch((e) => e);
      expect(proxy.tampered()).toBe(true);
      expect(error).toBeInstanceOf(PushError);
      expect(error.message).toMatch(/^images\/layer-0\.ank: interrupted$/);
    } finally {
      await proxy.close();
    }
  });

  it("refuses traversal, unknown routes, wrong methods and a checksum mismatch", async () => {
    expect((await raw(probe.url, "PUT", "/anka-lab-probe/files/..%2F..%2Fetc%2Fpasswd", { "x-anka-lab-sha256": "0".repeat(64), "content-length": 1 }, Buffer.from("x"))).status).toBe(400);
    expect((await raw(probe.url, "GET", "/anka-lab-probe/files/a/../../secret")).status).toBe(400);
    expect((await raw(probe.url, "GET", "/anka-lab-probe/files/%2Fetc%2Fhostname")).status).toBe(400);
    expect((await raw(probe.url, "GET", "/registry/status")).status).toBe(404);
    expect((await raw(probe.url, "POST", "/anka-lab-probe/files/x")).status).toBe(405);
    const wrong = await raw(probe.url, "PUT", "/anka-lab-probe/files/mismatch.bin", { "x-anka-lab-sha256": "0".repeat(64), "content-length": 5 }, Buffer.from("hello"));
    expect(wrong.status).toBe(422);
    expect(JSON.parse(wrong.body).message).toContain("nothing stored");
    expect(storedFiles(probe.root)).not.toContain("mismatch.bin");
  });
});

describe.runIf(runnable)("an Ingress with a short read timeout", () => {
  let probe: RunningProbe;
  let nginx: Nginx;
  beforeAll(async () => {
    probe = await startProbe();
    // proxy-read-timeout 1 s: armed once the whole body is forwarded (nginx/nginx src/http/ngx_http_upstream.c, ngx_http_upstream_send_request).
    nginx = await startNginx("lab-annotations", probe.port, 1);
  });
  afterAll(async () => {
    await nginx?.stop();
    await probe?.stop();
  });

  it("gets 504 when the registry answers late after the body, and says which knob to turn", async () => {
    const template = sampleTemplate(2 * 2 ** 20, 16);
    const error = await pushTemplate({ to: nginx.url, template, holdMs: 2500, attempts: 1 }).catch((e) => e);
    expect(error).toBeInstanceOf(PushError);
    expect(error.status).toBe(504);
    expect(error.message).toMatch(/504 from nginx: the registry did not answer in time after the body \(proxy-read-timeout, 60 s by default\); raise ingress\.timeoutSeconds$/);
    expect(nginx.errorLog()).toContain("upstream timed out");
  });
});

describe.runIf(runnable)("a probe with a small cap", () => {
  let probe: RunningProbe;
  beforeAll(async () => {
    probe = await startProbe({ maxBytes: 2 * 2 ** 20 });
  });
  afterAll(async () => probe?.stop());

  it("answers 413 for a body over its cap, and the client says it was the probe", async () => {
    const template = sampleTemplate(8 * 2 ** 20, 15);
    const error = await pushTemplate({ to: probe.url, template, attempts: 1 }).catch((e) => e);
    expect(error.status).toBe(413);
    expect(error.message).toMatch(/^images\/layer-0\.ank: 413 from the probe: the file is over probe\.maxBodySize/);
    expect(partials(probe.root)).toEqual([]);
  });

  it("keeps reading a refused body after its answer, even for a client that said Connection: close", async () => {
    // The client reads the 413 and then sends the rest of its body anyway, as a client busy writing
    // does. A probe that closed on its answer would reset the connection under those bytes.
    const declared = 8 * 2 ** 20;
    const socket = connect(probe.port, "127.0.0.1");
    const outcome = new Promise<{ answer: string; error?: string; closedEarly: boolean }>((resolve) => {
      let answer = "";
      let sentAll = false;
      let closedEarly = false;
      socket.on("data", (chunk: Buffer) => {
        const first = answer === "";
        answer += chunk.toString("latin1");
        if (first) socket.write(Buffer.alloc(declared - 2 ** 20), () => (sentAll = true));
      });
      socket.on("end", () => (closedEarly = !sentAll));
      socket.on("error", (error: NodeJS.ErrnoException) => resolve({ answer, error: error.code, closedEarly }));
      socket.on("close", () => resolve({ answer, closedEarly }));
    });
    socket.write(`PUT /anka-lab-probe/files/over-cap HTTP/1.1\r\nhost: probe\r\nconnection: close\r\ncontent-length: ${declared}\r\nx-anka-lab-sha256: ${"0".repeat(64)}\r\n\r\n`);
    socket.write(Buffer.alloc(2 ** 20));
    const { answer, error, closedEarly } = await outcome;
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    // The answer is the probe's usual refusal: JSON with status FAIL and a message.
    expect(JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4))).toMatchObject({ status: "FAIL", message: expect.stringMatching(/over this probe's cap/) });
    expect(error).toBeUndefined();
    expect(closedEarly).toBe(false);
    expect(partials(probe.root)).toEqual([]);
  });
});
