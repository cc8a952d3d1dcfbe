import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, request, type IncomingMessage, type RequestListener, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { connect, type AddressInfo, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { reportError, runCommand } from "../lab/cli/command.js";
import { pushCommand, pushSpec } from "../lab/commands/push.js";
import { loadConfig } from "../lab/config/load.js";
import { LabContext } from "../lab/context.js";
import { ExecaRunner } from "../lab/exec/runner.js";
import type { RunOptions, Runner } from "../lab/exec/types.js";
import { addHostsBlock, hostsResolved, removeHostsBlock, withHostsBlock } from "../lab/tools/hostsFile.js";
import { startProbe, type RunningProbe } from "./support/localProbe.js";
import { pushTemplate } from "../lab/transfer/client.js";
import { StateStore } from "../lab/state.js";
import { hostsStep } from "../lab/lifecycle/steps/hosts.js";
import { sampleTemplate } from "../lab/transfer/sample.js";
import { notYet, ready, waitFor } from "../lab/wait.js";
import { canUseNetns, hasBinary, skipReason } from "./support/binaries.js";
import { captureIo } from "./support/io.js";
import { recordingReport } from "./support/context.js";

/**
 * Bad input and faults, one table row each: the expected status or exit code and the expected
 * message. Probe rows run the real probe from the rendered ConfigMap on 127.0.0.1; push rows run
 * lab:push against small misbehaving servers on 127.0.0.1; hosts rows edit real temp files with
 * the real cp/chmod/mv. The last test prints the counts.
 */

interface Outcome {
  /** HTTP status, exit code, or "ok"/"refused" for library calls. */
  readonly code: number | string;
  /** What the user reads: the message line(s). */
  readonly message: string;
  /** Whether the operation reported success. */
  readonly success: boolean;
  /** False when something outside the request's own business was changed or lost. */
  readonly intact?: boolean;
}

interface Row {
  readonly name: string;
  readonly code: number | string;
  readonly message: RegExp;
  /** A control: success is the expected outcome. */
  readonly succeeds?: boolean;
  run(): Promise<Outcome>;
}

const counts = { cases: 0, clearErrors: 0, controls: 0, wrongSuccesses: 0, dataLoss: 0, stackTraces: 0 };

/** Runs the rows of one area as tests, counting every outcome. */
function table(rows: readonly Row[], timeout = 30_000): void {
  it.each(rows.map((r) => [r.name, r] as const))("%s", async (_, row) => {
    const outcome = await row.run();
    counts.cases++;
    const stack = /\n\s+at .+:\d+/.test(outcome.message);
    if (stack) counts.stackTraces++;
    if (outcome.intact === false) counts.dataLoss++;
    if (!row.succeeds && outcome.success) counts.wrongSuccesses++;
    // An error is one line; a control's message may be a whole file.
    const oneLine = row.succeeds || !outcome.message.includes("\n");
    const matches = outcome.code === row.code && row.message.test(outcome.message) && oneLine;
    if (matches && !row.succeeds && !outcome.success) counts.clearErrors++;
    if (matches && row.succeeds && outcome.success) counts.controls++;
    expect({ code: outcome.code, success: outcome.success, intact: outcome.intact ?? true, stack, oneLine }).toEqual({ code: row.code, success: row.succeeds ?? false, intact: true, stack: false, oneLine: true });
    expect(outcome.message).toMatch(row.message);
  }, timeout);
}

const sha = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

interface Answer {
  status: number;
  headers: IncomingMessage["headers"];
  body: string;
  bytes: Buffer;
}

/** A raw request, so rows can send what no well-behaved client would (dot segments, odd headers). */
function raw(port: number, method: string, path: string, headers: Record<string, string | number> = {}, body?: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // agent: false, a connection per request: a refused body must not leave its socket to the next row.
    const req = request({ host: "127.0.0.1", port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (d: Buffer) => chunks.push(d));
      res.on("end", () => {
        const bytes = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: bytes.toString("utf8"), bytes });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** The probe's own message from its JSON answer. */
const messageOf = (answer: Answer) => {
  try {
    return String(JSON.parse(answer.body).message ?? answer.body.trim());
  } catch {
    return answer.body.trim();
  }
};

const asOutcome = (answer: Answer, intact = true): Outcome => ({ code: answer.status, message: messageOf(answer), success: answer.status < 300, intact });

/**
 * An upload that sends its headers and `send` bytes of a `size`-byte body, then stays silent.
 * `answer` resolves with the server's answer once it is complete, or with what came when the
 * server closed the connection ("" when it closed without a word).
 */
function openUpload(port: number, path: string, size: number, send: number, extra: Record<string, string> = {}): { socket: Socket; answer: Promise<string> } {
  const socket = connect(port, "127.0.0.1");
  const headers = { "content-length": String(size), "x-anka-lab-sha256": "0".repeat(64), ...extra };
  socket.write(`PUT ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`);
  socket.write(Buffer.alloc(send, 7));
  let text = "";
  const answer = new Promise<string>((resolve) => {
    socket.on("data", (d) => {
      text += d;
      const end = text.indexOf("\r\n\r\n");
      const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? NaN);
      if (end >= 0 && Buffer.byteLength(text.slice(end + 4)) >= length) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.on("close", () => resolve(text));
    socket.on("error", () => undefined);
  });
  return { socket, answer };
}

const partials = (root: string) => (existsSync(join(root, ".partial")) ? readdirSync(join(root, ".partial")) : []);

/** Waits for a condition, with a deadline; no fixed sleeps. */
async function until<T>(what: string, look: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  return waitFor(what, async () => {
    const value = look();
    return value ? ready(value) : notYet("not yet");
  }, { timeoutMs, intervalMs: 20 });
}

/** The line a status line of a raw answer carries, e.g. 408. */
const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
const bodyOf = (text: string) => {
  const json = text.slice(text.indexOf("\r\n\r\n") + 4);
  try {
    return String(JSON.parse(json).message);
  } catch {
    return json.trim();
  }
};

/** lab:push as the CLI runs it: its exit code and what it printed. */
async function push(env: NodeJS.ProcessEnv, ...argv: string[]): Promise<Outcome & { printed: string }> {
  const io = captureIo(env);
  const code = await runCommand(pushSpec, (args, i) => pushCommand(args, i, { renderer: "silent" }), argv, io);
  const printed = [...io.stdout, ...io.stderr].join("\n");
  return { code, message: io.stderr.join("\n").replace(/^anka-lab: /, ""), success: code === 0, printed };
}

async function listen(handler: RequestListener, tls?: { key: string; cert: string }): Promise<{ server: Server; port: number }> {
  // Each server is a probe that misbehaves on PUT: its health answers as the probe's does, so
  // lab:push's check of --to (GET <prefix>/healthz first) lets the push reach the misbehaviour.
  const withHealth: RequestListener = (req, res) =>
    req.method === "GET" && req.url === "/anka-lab-probe/healthz" ? res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: "OK", body: { pod: "misbehaving-probe" } })) : handler(req, res);
  const server = tls ? createHttpsServer(tls, withHealth) : createHttpServer(withHealth);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/**
 * Reads a whole PUT body and answers like an honest probe. The client sends the probe's "at-end"
 * form (lab/transfer/probeServer.mjs): the file, then its sha256 in hex, the body's last 64 bytes.
 */
const honest: RequestListener = (req, res) => {
  const hash = createHash("sha256");
  let size = 0;
  let tail = Buffer.alloc(0);
  req.on("data", (d: Buffer) => {
    const held = Buffer.concat([tail, d]);
    const file = held.subarray(0, Math.max(0, held.length - 64));
    hash.update(file);
    size += file.length;
    tail = held.subarray(file.length);
  });
  req.on("end", () => {
    const digest = hash.digest("hex");
    const ok = tail.toString("latin1") === digest;
    res.writeHead(ok ? 201 : 422, { ...(ok ? { "x-anka-lab-sha256": digest } : {}), "x-anka-lab-pod": "honest", "content-type": "application/json" });
    res.end(JSON.stringify(ok ? { status: "OK", body: { size, sha256: digest } } : { status: "FAIL", message: "sha256 mismatch; nothing stored" }) + "\n");
  });
};

const servers: Server[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const s of servers) s.closeAllConnections?.();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  for (const c of cleanups.reverse()) await c();
  console.log(
    `bad-input suite: ${counts.cases} cases, ${counts.clearErrors} clear errors, ${counts.controls} controls passed, ` +
      `${counts.wrongSuccesses} wrong successes, ${counts.dataLoss} data loss, ${counts.stackTraces} stack traces`,
  );
});

// ---------------------------------------------------------------------------------------------
describe("the probe refuses bad paths and keeps its checksums", () => {
  let probe: RunningProbe;
  let outside: string;
  const files = () => join(probe.root, "files");
  const put = (path: string, body: Buffer, headers: Record<string, string | number> = {}) =>
    raw(probe.port, "PUT", `/anka-lab-probe/files/${path}`, { "x-anka-lab-sha256": sha(body), "content-length": body.length, ...headers }, body);
  const outsideIntact = () => readFileSync(join(outside, "victim.txt"), "utf8") === "outside" && readdirSync(outside).length === 1;

  beforeAll(async () => {
    probe = await startProbe();
    cleanups.push(() => probe.stop());
    outside = mkdtempSync(join(tmpdir(), "anka-lab-outside-"));
    cleanups.push(() => rmSync(outside, { recursive: true, force: true }));
    writeFileSync(join(outside, "victim.txt"), "outside");
    // Links another writer of the shared volume could plant (files/ may not exist yet on an old probe).
    mkdirSync(files(), { recursive: true });
    symlinkSync(join(outside, "victim.txt"), join(files(), "x"));
    symlinkSync(outside, join(files(), "d"));
    await put("victim", Buffer.from("the real victim"));
    await put("a-file", Buffer.from("a file"));
    mkdirSync(join(files(), "a-folder"));
  });

  table([
    { name: "GET of a planted link to a file outside", code: 400, message: /^x: it is a symbolic link; the probe never follows links$/, run: async () => asOutcome(await raw(probe.port, "GET", "/anka-lab-probe/files/x"), outsideIntact()) },
    { name: "GET through a planted link to a folder outside", code: 400, message: /^d\/victim\.txt: the path crosses a symbolic link at "d"/, run: async () => asOutcome(await raw(probe.port, "GET", "/anka-lab-probe/files/d/victim.txt"), outsideIntact()) },
    { name: "PUT through a planted folder link", code: 400, message: /crosses a symbolic link at "d"; the probe never follows links$/, run: async () => asOutcome(await put("d/new", Buffer.from("x")), outsideIntact()) },
    { name: "PUT of a new folder under a planted link", code: 400, message: /crosses a symbolic link at "d"/, run: async () => asOutcome(await put("d/sub/new", Buffer.from("x")), outsideIntact()) },
    { name: "PUT over a planted link", code: 400, message: /^x: it is a symbolic link/, run: async () => asOutcome(await put("x", Buffer.from("x")), outsideIntact()) },
    { name: "DELETE through a planted folder link", code: 400, message: /crosses a symbolic link at "d"/, run: async () => asOutcome(await raw(probe.port, "DELETE", "/anka-lab-probe/files/d/victim.txt"), outsideIntact()) },
    { name: "DELETE of a planted link", code: 400, message: /^x: it is a symbolic link/, run: async () => asOutcome(await raw(probe.port, "DELETE", "/anka-lab-probe/files/x"), outsideIntact()) },
    {
      name: "PUT of <name>.sha256 cannot forge <name>'s checksum",
      code: 200,
      message: /^the real victim$/,
      succeeds: true,
      run: async () => {
        await put("victim.sha256", Buffer.from("0".repeat(64)));
        const back = await raw(probe.port, "GET", "/anka-lab-probe/files/victim");
        return { code: back.status, message: back.body, success: back.status === 200, intact: back.headers["x-anka-lab-sha256"] === sha("the real victim") };
      },
    },
    {
      name: "DELETE of <name>.sha256 cannot erase <name>'s checksum",
      code: 200,
      message: /^the real victim$/,
      succeeds: true,
      run: async () => {
        await raw(probe.port, "DELETE", "/anka-lab-probe/files/victim.sha256");
        const back = await raw(probe.port, "GET", "/anka-lab-probe/files/victim");
        return { code: back.status, message: back.body, success: back.status === 200, intact: back.headers["x-anka-lab-sha256"] === sha("the real victim") };
      },
    },
    { name: "a name with CR LF", code: 400, message: /^bad path: no control characters or backslashes$/, run: async () => asOutcome(await put("evil%0d%0aname", Buffer.from("x"))) },
    { name: "a 256-byte name", code: 400, message: /^bad path: each part at most 255 bytes long$/, run: async () => asOutcome(await put("n".repeat(256), Buffer.from("x")), partials(probe.root).length === 0) },
    { name: "a parent that is a file", code: 409, message: /^a-file\/child: "a-file" is a file, not a folder; DELETE it first or choose another path$/, run: async () => asOutcome(await put("a-file/child", Buffer.from("x")), partials(probe.root).length === 0) },
    {
      name: "a target that is a folder",
      code: 409,
      message: /^a-folder: this path is a folder; choose a file path inside it$/,
      run: async () => asOutcome(await put("a-folder", Buffer.from("x")), partials(probe.root).length === 0 && !existsSync(join(files(), "a-folder.sha256"))),
    },
    { name: "Content-Length 2^53 + 1", code: 413, message: /^body of 9007199254740993 bytes is over this probe's cap/, run: async () => asOutcome(await raw(probe.port, "PUT", "/anka-lab-probe/files/big", { "x-anka-lab-sha256": "0".repeat(64), "content-length": "9007199254740993" })) },
    {
      name: "x-anka-lab-size in hex on a chunked body",
      code: 400,
      message: /^size "0x0c" is not a whole number of bytes in decimal$/,
      run: async () => asOutcome(await raw(probe.port, "PUT", "/anka-lab-probe/files/hex", { "x-anka-lab-sha256": sha("hello world!"), "x-anka-lab-size": "0x0c", "transfer-encoding": "chunked" }, Buffer.from("hello world!"))),
    },
    {
      name: "DELETE leaves no empty folders behind",
      code: 200,
      message: /^$/,
      succeeds: true,
      run: async () => {
        await put("deep/er/still/file", Buffer.from("x"));
        const answer = await raw(probe.port, "DELETE", "/anka-lab-probe/files/deep/er/still/file");
        return { code: answer.status, message: existsSync(join(files(), "deep")) ? "deep/ is still there" : "", success: answer.status === 200 };
      },
    },
    {
      name: "40 rounds of two concurrent PUTs to one path end with one consistent file",
      code: 201,
      message: /^every round consistent$/,
      succeeds: true,
      run: async () => {
        const bad: string[] = [];
        for (let round = 0; round < 40; round++) {
          const [a, b] = [randomBytes(256 * 1024), randomBytes(256 * 1024)];
          const answers = await Promise.all([put("race.bin", a), put("race.bin", b)]);
          const back = await raw(probe.port, "GET", "/anka-lab-probe/files/race.bin");
          const stored = sha(back.bytes);
          if (answers.some((x) => x.status !== 201) || back.headers["x-anka-lab-sha256"] !== stored || ![sha(a), sha(b)].includes(stored)) bad.push(`round ${round}`);
        }
        return { code: 201, message: bad.length ? `inconsistent: ${bad.join(", ")}` : "every round consistent", success: true, intact: bad.length === 0 };
      },
    },
  ]);
});

// ---------------------------------------------------------------------------------------------
describe("the probe bounds slow, idle and unauthenticated clients", () => {
  let idle: RunningProbe;
  let locked: RunningProbe;
  const TOKEN = "lab-token-7f3a";
  beforeAll(async () => {
    idle = await startProbe({ env: { PROBE_IDLE_MS: "300" } });
    locked = await startProbe({ env: { PROBE_TOKEN: TOKEN } });
    cleanups.push(() => idle.stop(), () => locked.stop());
  });
  const body = Buffer.from("tokened");
  const putTo = (port: number, headers: Record<string, string> = {}) =>
    raw(port, "PUT", "/anka-lab-probe/files/t", { "x-anka-lab-sha256": sha(body), "content-length": body.length, ...headers }, body);

  table([
    {
      name: "an upload that goes idle mid-body",
      code: 408,
      message: /^no byte of the body arrived for 0\.3 s; send the body without pauses$/,
      run: async () => {
        const { answer } = openUpload(idle.port, "/anka-lab-probe/files/idle.bin", 1 << 20, 1024);
        const text = await answer;
        await until("the temp file to go", () => partials(idle.root).length === 0);
        return { code: statusOf(text), message: bodyOf(text), success: false };
      },
    },
    { name: "PUT without the token", code: 401, message: /^this probe needs its lab token: send Authorization: Bearer <token>/, run: async () => asOutcome(await putTo(locked.port)) },
    {
      name: "PUT without the token names the scheme (RFC 6750)",
      code: 401,
      message: /^Bearer realm="anka-lab-probe"$/,
      run: async () => {
        const answer = await putTo(locked.port);
        return { code: answer.status, message: String(answer.headers["www-authenticate"]), success: answer.status < 300 };
      },
    },
    { name: "PUT with a wrong token", code: 401, message: /needs its lab token/, run: async () => asOutcome(await putTo(locked.port, { authorization: "Bearer guess" })) },
    {
      name: "DELETE without the token",
      code: 401,
      message: /needs its lab token/,
      run: async () => {
        await putTo(locked.port, { authorization: `Bearer ${TOKEN}` });
        const answer = await raw(locked.port, "DELETE", "/anka-lab-probe/files/t");
        return asOutcome(answer, existsSync(join(locked.root, "files", "t")));
      },
    },
    { name: "PUT with the token", code: 201, message: /^$/, succeeds: true, run: async () => ({ ...asOutcome(await putTo(locked.port, { authorization: `Bearer ${TOKEN}` })), message: "" }) },
    { name: "healthz stays open without the token", code: 200, message: /^$/, succeeds: true, run: async () => ({ ...asOutcome(await raw(locked.port, "GET", "/anka-lab-probe/healthz")), message: "" }) },
    { name: "lab:push to a token probe without --token", code: 1, message: /^anka-lab-sample-1-1048576\.yaml: 401 from the probe: it needs the lab's probe token; pass --token TOKEN or set ANKA_LAB_PROBE_TOKEN/, run: () => push({}, "--to", locked.url, "--size", "1Mi") },
    { name: "lab:push with --token", code: 0, message: /^$/, succeeds: true, run: () => push({}, "--to", locked.url, "--size", "1Mi", "--token", TOKEN) },
    { name: "lab:push with ANKA_LAB_PROBE_TOKEN", code: 0, message: /^$/, succeeds: true, run: () => push({ ANKA_LAB_PROBE_TOKEN: TOKEN }, "--to", locked.url, "--size", "1Mi") },
    { name: "lab:push --token with a space in it", code: 2, message: /^--token: not a usable token \(empty, or spaces or symbols in it\)/, run: () => push({}, "--to", locked.url, "--token", "a b") },
  ]);
});

// ---------------------------------------------------------------------------------------------
describe("the probe's connections, shutdown and restarts", () => {
  const volume = mkdtempSync(join(tmpdir(), "anka-lab-volume-"));
  cleanups.push(() => rmSync(volume, { recursive: true, force: true }));
  const pod = "anka-build-cloud-5c6d-kx1";
  const root = join(volume, "anka-lab-probe");

  table([
    {
      name: "connections beyond PROBE_MAX_CONNECTIONS are closed unanswered",
      code: "closed",
      message: /^closed without an answer while 3 uploads held the probe$/,
      run: async () => {
        const probe = await startProbe({ env: { PROBE_MAX_CONNECTIONS: "3" } });
        try {
          const held = [0, 1, 2].map((i) => openUpload(probe.port, `/anka-lab-probe/files/held-${i}`, 1 << 20, 1024));
          await until("three uploads in flight", () => partials(probe.root).length === 3);
          const text = await openUpload(probe.port, "/anka-lab-probe/files/extra", 10, 10).answer;
          held.forEach((h) => h.socket.destroy());
          // Once the held ones are gone, the probe answers again.
          await waitFor("the probe to take connections again", async () => ((await raw(probe.port, "GET", "/anka-lab-probe/healthz").catch(() => undefined))?.status === 200 ? ready(true) : notYet("refused")), {
            timeoutMs: 10_000,
            intervalMs: 50,
          });
          return { code: text === "" ? "closed" : statusOf(text), message: text === "" ? "closed without an answer while 3 uploads held the probe" : bodyOf(text), success: text !== "" };
        } finally {
          await probe.stop();
        }
      },
    },
    {
      name: "SIGTERM with idle uploads open: the probe exits and leaves no temp file",
      code: 0,
      message: /^exited 0 with 0 temp files left$/,
      run: async () => {
        const probe = await startProbe({ volume, pod, env: { PROBE_GRACE_MS: "200" } });
        const uploads = [0, 1, 2, 3, 4].map((i) => openUpload(probe.port, `/anka-lab-probe/files/slow-${i}`, 1 << 20, 1024));
        await until("five uploads in flight", () => partials(root).length === 5);
        const exited = new Promise<number>((resolve) => probe.child.once("exit", (code) => resolve(code ?? -1)));
        probe.child.kill("SIGTERM");
        const code = await Promise.race([exited, until("the probe to exit", () => false, 10_000).then(() => -2, () => -2)]);
        await Promise.all(uploads.map((u) => u.answer));
        await probe.stop();
        // A refused upload is not a success; the row is about the probe stopping cleanly.
        return { code, message: `exited ${code} with ${partials(root).length} temp files left`, success: false };
      },
    },
    {
      name: "SIGKILL mid-upload, then a restart sweeps the temp file",
      code: "swept",
      message: /^0 temp files after the restart \(1 before\)$/,
      run: async () => {
        const first = await startProbe({ volume, pod });
        const upload = openUpload(first.port, "/anka-lab-probe/files/killed.bin", 8 << 20, 1 << 20);
        await until("the upload to be in flight", () => partials(root).length === 1);
        first.child.kill("SIGKILL");
        await upload.answer;
        await first.stop();
        const before = partials(root).length;
        // Another replica's temp file from long ago is swept too; a fresh one (in flight there) is kept.
        mkdirSync(join(root, ".partial"), { recursive: true });
        writeFileSync(join(root, ".partial", "other-pod-old.part"), "stale");
        utimesSync(join(root, ".partial", "other-pod-old.part"), new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
        writeFileSync(join(root, ".partial", "other-pod-new.part"), "in flight");
        const second = await startProbe({ volume, pod });
        const left = partials(root);
        await second.stop();
        rmSync(join(root, ".partial", "other-pod-new.part"), { force: true });
        return { code: left.join() === "other-pod-new.part" ? "swept" : left.join(), message: `${left.length - 1} temp files after the restart (${before} before)`, success: false };
      },
    },
  ]);
});

// ---------------------------------------------------------------------------------------------
// Disk-full rows need a small filesystem: a tmpfs in the probe's own mount namespace (root only).
const tmpfsOk = canUseNetns() && hasBinary("unshare") && hasBinary("mount");
if (!tmpfsOk) skipReason("disk-full rows of the bad-input suite", "root with unshare and mount", "run the tests as root on Linux");

describe.runIf(tmpfsOk)("a full registry volume", () => {
  let probe: RunningProbe;
  let volume: string;
  const helper = fileURLToPath(new URL("./support/tmpfsProbe.mjs", import.meta.url));
  /** The probe's files as its own mount namespace sees them. */
  const inside = (...parts: string[]) => join(`/proc/${probe.child.pid}/root`, volume, "anka-lab-probe", ...parts);
  beforeAll(async () => {
    volume = mkdtempSync(join(tmpdir(), "anka-lab-small-"));
    cleanups.push(() => rmSync(volume, { recursive: true, force: true }));
    probe = await startProbe({ volume, launch: (code) => ["unshare", "-m", "--propagation", "private", process.execPath, helper, "8m", code] });
    cleanups.push(() => probe.stop());
  });

  table([
    {
      name: "a body larger than the free space is refused before a byte is written",
      code: 507,
      message: /^the volume has \d+ bytes free for this body of 16777216; free space on the registry volume or push less$/,
      run: async () => {
        const answer = await raw(probe.port, "PUT", "/anka-lab-probe/files/too-big", { "x-anka-lab-sha256": "0".repeat(64), "content-length": 16 << 20 }, Buffer.alloc(0));
        const json = JSON.parse(answer.body);
        return { ...asOutcome(answer), intact: json.needed === 16 << 20 && json.free <= 8 << 20 && readdirSync(inside(".partial")).length === 0 };
      },
    },
    {
      name: "the volume fills up mid-body: 507 with free and needed bytes, temp file removed",
      code: 507,
      message: /^the volume filled up after \d+ of 6291456 bytes: \d+ bytes free, 6291456 needed; free space on the registry volume or push less$/,
      run: async () => {
        const upload = openUpload(probe.port, "/anka-lab-probe/files/fills", 6 << 20, 1 << 20);
        await until("the upload to be in flight", () => readdirSync(inside(".partial")).length === 1);
        // Someone else fills the volume meanwhile.
        try {
          writeFileSync(inside("filler"), Buffer.alloc(8 << 20));
        } catch {
          // ENOSPC: the filler took what there was.
        }
        upload.socket.write(Buffer.alloc(5 << 20, 7));
        const text = await upload.answer;
        const left = readdirSync(inside(".partial")).length;
        rmSync(inside("filler"), { force: true });
        return { code: statusOf(text), message: bodyOf(text), success: false, intact: left === 0 };
      },
    },
    {
      name: "a write cut short by the full volume on the body's last bytes stores nothing (no truncated file with a good sha256)",
      code: 507,
      message: /^the volume filled up after \d+ of 6291456 bytes: \d+ bytes free, 6291456 needed; free space on the registry volume or push less$/,
      run: async () => {
        // A true sha256, so only the short write stands between these bytes and a commit.
        const upload = openUpload(probe.port, "/anka-lab-probe/files/short", 6 << 20, 1 << 20, { "x-anka-lab-sha256": sha(Buffer.alloc(6 << 20, 7)) });
        const temp = await until("the first MiB on the volume", () => {
          const name = readdirSync(inside(".partial"))[0];
          return name && statSync(inside(".partial", name)).size >= 1 << 20 ? name : undefined;
        });
        // Leave room for all of the rest but 64 KiB: the last write of the body can only be partial
        // (write(2) returns a short count on a full filesystem, then ENOSPC on the next call).
        const { bavail, bsize } = statfsSync(inside());
        writeFileSync(inside("filler"), Buffer.alloc(bavail * bsize - (5 << 20) + (64 << 10)));
        upload.socket.write(Buffer.alloc(5 << 20, 7));
        const text = await upload.answer;
        const stored = existsSync(inside("files", "short"));
        const left = existsSync(inside(".partial", temp));
        rmSync(inside("filler"), { force: true });
        return { code: statusOf(text), message: bodyOf(text), success: false, intact: !stored && !left };
      },
    },
    {
      name: "lab:push against a full volume says so and what to do",
      code: 1,
      message: /^images\/layer-0\.ank: 507 from the probe: the registry volume is full \(the volume has \d+ bytes free for this body of \d+; .*\); free space on it \(npm run lab:down -- --purge deletes the lab's data\) or push a smaller --size$/,
      run: () => push({}, "--to", probe.url, "--size", "16Mi"),
    },
  ]);
});

// ---------------------------------------------------------------------------------------------
describe("lab:push against servers that misbehave", () => {
  let cert: { key: string; cert: string; file: string };
  const url = (port: number, scheme = "http") => `${scheme}://127.0.0.1:${port}`;
  const start = async (handler: RequestListener, tls?: { key: string; cert: string }) => {
    const s = await listen(handler, tls);
    servers.push(s.server);
    return s.port;
  };
  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), "anka-lab-tls-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    // A self-signed certificate for 127.0.0.1, like a lab's own TLS Ingress might have.
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
    cert = { key: readFileSync(join(dir, "key.pem"), "utf8"), cert: readFileSync(join(dir, "cert.pem"), "utf8"), file: join(dir, "cert.pem") };
  });

  table([
    {
      name: "201 before reading a layer's body",
      code: 1,
      message: /^images\/layer-0\.ank: the server answered 201 after \d+ of \d+ bytes, before the body was sent: a store only counts once every byte arrived/,
      run: async () => {
        const port = await start((req, res) => {
          // Honest for the small files, so the push reaches a layer; that one gets 201 unread.
          if (Number(req.headers["content-length"]) < 2 ** 20) return honest(req, res);
          res.writeHead(201, { "x-anka-lab-sha256": "0".repeat(64), "x-anka-lab-pod": "liar" });
          res.end("{}\n");
        });
        return push({}, "--to", url(port), "--size", "16Mi");
      },
    },
    {
      name: "a redirect back to the same URL",
      code: 1,
      message: /^anka-lab-sample-1-1048576\.yaml: HTTP 307 redirect back to the same URL \(a redirect loop\): the server at --to is not the lab's probe/,
      run: async () => {
        const port = await start((req, res) => {
          res.writeHead(307, { location: req.url });
          res.end();
        });
        return push({}, "--to", url(port), "--size", "1Mi");
      },
    },
    {
      name: "a redirect elsewhere",
      code: 1,
      message: /: HTTP 301 redirect to https:\/\/127\.0\.0\.1:1\/x: the probe never redirects; point --to at the registry's probe port or Ingress \(use the https:\/\/ URL itself\)$/,
      run: async () => {
        const port = await start((_, res) => {
          res.writeHead(301, { location: "https://127.0.0.1:1/x" });
          res.end();
        });
        return push({}, "--to", url(port), "--size", "1Mi");
      },
    },
    {
      name: "201, then an answer body that never ends",
      code: "refused",
      message: /: the answer's body did not end within 0 s \(HTTP 201, \d+ bytes so far\): the server at --to is not the lab's probe/,
      run: async () => {
        const port = await start((req, res) => {
          const hash = createHash("sha256");
          req.on("data", (d) => hash.update(d));
          req.on("end", () => {
            res.writeHead(201, { "x-anka-lab-sha256": hash.digest("hex") });
            const drip = setInterval(() => res.write("."), 50);
            res.on("close", () => clearInterval(drip));
          });
        });
        const error = await pushTemplate({ to: url(port), template: sampleTemplate(1 << 20, 1), answerMs: 400, attempts: 1 }).catch((e: Error) => e);
        return error instanceof Error ? { code: "refused", message: error.message, success: false } : { code: "ok", message: "", success: true };
      },
    },
    {
      name: "Ctrl-C mid-body stops the push: no layer's body arrives whole",
      code: "refused",
      message: /^images\/layer-0\.ank: interrupted$/,
      run: async () => {
        const controller = new AbortController();
        let wholeLayers = 0;
        const port = await start((req, res) => {
          if (req.url?.endsWith(".ank")) {
            // Ctrl-C once the first bytes of the 460 MB layer arrive: files are hashed as they are sent.
            req.once("data", () => controller.abort(new Error("interrupted")));
            req.once("end", () => wholeLayers++);
          }
          honest(req, res);
        });
        const error = await pushTemplate({ to: url(port), template: sampleTemplate(2 * 2 ** 30, 1), signal: controller.signal, attempts: 1 }).catch((e: Error) => e);
        return error instanceof Error ? { code: "refused", message: error.message, success: false, intact: wholeLayers === 0 } : { code: "ok", message: "pushed", success: true, intact: wholeLayers === 0 };
      },
    },
    {
      name: "a 507 from a full volume",
      code: 1,
      message: /: 507 from the probe: the registry volume is full \(the volume filled up after 10 of 20 bytes\); free space on it/,
      run: async () => {
        const port = await start((req, res) => {
          req.resume();
          req.on("end", () => {
            res.writeHead(507, { "content-type": "application/json" });
            res.end(JSON.stringify({ status: "FAIL", message: "the volume filled up after 10 of 20 bytes", free: 0, needed: 20 }) + "\n");
          });
        });
        return push({}, "--to", url(port), "--size", "1Mi");
      },
    },
    {
      name: "credentials in --to are never printed",
      code: 2,
      message: /^--to http:\/\/\*\*\*@127\.0\.0\.1:\d+\/\?x=1: drop the \?query/,
      run: async () => {
        const result = await push({}, "--to", "http://admin:s3cret@127.0.0.1:9/?x=1", "--size", "1Mi");
        return { ...result, intact: !result.printed.includes("s3cret") };
      },
    },
    {
      name: "credentials in --to: sent as Basic auth, absent from the progress title and the error",
      code: 1,
      message: /^anka-lab-sample-1-1048576\.yaml: 404: no transfer probe at this URL/,
      run: async () => {
        let auth = "";
        const port = await start((req, res) => {
          auth = String(req.headers.authorization ?? "");
          req.resume();
          res.writeHead(404);
          res.end("not here\n");
        });
        const written: string[] = [];
        const spies = [process.stdout, process.stderr].map((stream) =>
          vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true)),
        );
        try {
          const io = captureIo({});
          const code = await runCommand(pushSpec, (args, i) => pushCommand(args, i, { renderer: "simple" }), ["--to", `http://admin:s3cret@127.0.0.1:${port}`, "--size", "1Mi"], io);
          const printed = [...written, ...io.stdout, ...io.stderr].join("");
          return {
            code,
            message: io.stderr.join("\n").replace(/^anka-lab: /, ""),
            success: code === 0,
            intact: !printed.includes("s3cret") && printed.includes("***@127.0.0.1") && auth === `Basic ${Buffer.from("admin:s3cret").toString("base64")}`,
          };
        } finally {
          spies.forEach((s) => s.mockRestore());
        }
      },
    },
    {
      name: "https:// with a self-signed certificate and no --cacert",
      code: 1,
      // Found by lab:push's health check of --to, before any file.
      message: /^TLS: 127\.0\.0\.1:\d+ has a certificate this machine does not trust \(DEPTH_ZERO_SELF_SIGNED_CERT\); pass --cacert FILE with the CA that signed it, or --insecure/,
      run: async () => push({}, "--to", url(await start(honest, cert), "https"), "--size", "1Mi"),
    },
    { name: "https:// with --cacert", code: 0, message: /^$/, succeeds: true, run: async () => push({}, "--to", url(await start(honest, cert), "https"), "--size", "1Mi", "--cacert", cert.file) },
    { name: "https:// with --insecure", code: 0, message: /^$/, succeeds: true, run: async () => push({}, "--to", url(await start(honest, cert), "https"), "--size", "1Mi", "--insecure") },
    {
      name: "https:// to a plain http port",
      code: 1,
      // lab:push asks the probe's health first, so the handshake fails there, before any file.
      message: /^TLS handshake with 127\.0\.0\.1:\d+ failed \((EPROTO|ERR_SSL_WRONG_VERSION_NUMBER)\): is it a plain http:\/\/ port\? then use http:\/\/$/,
      run: async () => push({}, "--to", url(await start(honest), "https"), "--size", "1Mi"),
    },
    { name: "--cacert on an http:// URL", code: 2, message: /^--cacert and --insecure apply to https:\/\/ URLs only; --to http:\/\/127\.0\.0\.1:9 is plain http$/, run: () => push({}, "--to", "http://127.0.0.1:9", "--cacert", "/nonexistent") },
    { name: "--cacert that does not exist", code: 2, message: /^--cacert \/nonexistent\/ca\.pem: cannot read it \(ENOENT\); give the PEM file of the CA/, run: () => push({}, "--to", "https://127.0.0.1:9", "--cacert", "/nonexistent/ca.pem") },
  ]);
});

// ---------------------------------------------------------------------------------------------
describe("the /etc/hosts block, on real temp files", () => {
  const config = loadConfig({ env: {}, cwd: tmpdir() }).config;
  const B = "# >>> anka-lab anka-lab >>>";
  const E = "# <<< anka-lab anka-lab <<<";
  const LINE = "127.0.0.1 anka.controller anka.registry";
  const ORIGINAL = "127.0.0.1 localhost\n10.1.1.1 important.host\n";

  function ctxFor(file: string, runner: Runner = new ExecaRunner()): LabContext {
    const state = mkdtempSync(join(tmpdir(), "anka-lab-hosts-state-"));
    cleanups.push(() => rmSync(state, { recursive: true, force: true }));
    return new LabContext(config, runner, new StateStore(state), {
      dryRun: false,
      waits: { timeoutMs: 1000, intervalMs: 50 },
      signal: new AbortController().signal,
      hostsFile: file,
      interactive: false,
      confirm: async () => false,
      needsSudo: false,
    });
  }
  function fileWith(text: string): string {
    const dir = mkdtempSync(join(tmpdir(), "anka-lab-hosts-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "hosts"), text);
    return join(dir, "hosts");
  }
  /** What the user sees when the edit fails: the CLI's error lines and exit code. */
  async function attempt(file: string, edit: (ctx: LabContext) => Promise<{ outcome: string }>, ctx = ctxFor(file)): Promise<Outcome> {
    const before = readFileSync(file, "utf8");
    try {
      const { outcome } = await edit(ctx);
      return { code: outcome, message: readFileSync(file, "utf8"), success: true };
    } catch (error) {
      const io = captureIo();
      const code = reportError(error, io, false);
      // A refused edit must leave the file exactly as it was.
      return { code, message: io.stderr.join("\n").replace(/^anka-lab: /, ""), success: false, intact: readFileSync(file, "utf8") === before };
    }
  }
  const malformed = (text: string, edit: "add" | "remove") => {
    const file = fileWith(text);
    return attempt(file, edit === "add" ? addHostsBlock : removeHostsBlock);
  };

  table([
    { name: "begin marker without end, on remove", code: 1, message: /hosts line 2: "# >>> anka-lab anka-lab >>>" has no "# <<< anka-lab anka-lab <<<" after it; fix the file by hand/, run: () => malformed(`127.0.0.1 localhost\n${B}\n127.0.0.1 old.name\n10.1.1.1 important.host\n192.168.1.5 nas.local\n`, "remove") },
    { name: "begin marker without end, on add", code: 1, message: /hosts line 2: "# >>> anka-lab anka-lab >>>" has no/, run: () => malformed(`127.0.0.1 localhost\n${B}\n10.1.1.1 important.host\n`, "add") },
    { name: "end marker without begin", code: 1, message: /hosts line 2: "# <<< anka-lab anka-lab <<<" has no "# >>> anka-lab anka-lab >>>" before it/, run: () => malformed(`127.0.0.1 localhost\n${E}\n`, "remove") },
    { name: "end marker before begin marker", code: 1, message: /hosts line 1: "# <<< anka-lab anka-lab <<<" comes before its "# >>> anka-lab anka-lab >>>" on line 3/, run: () => malformed(`${E}\n127.0.0.1 localhost\n${B}\n${LINE}\n`, "remove") },
    { name: "two blocks", code: 1, message: /hosts line 5: a second "# >>> anka-lab anka-lab >>>" \(the first is on line 2\)/, run: () => malformed(`127.0.0.1 localhost\n${B}\n${LINE}\n${E}\n${B}\n${LINE}\n${E}\n`, "add") },
    { name: "someone's line inside the block", code: 1, message: /hosts line 3: "192\.168\.1\.5 nas\.local" is inside the anka-lab block but is not the lab's; move it above/, run: () => malformed(`127.0.0.1 localhost\n${B}\n192.168.1.5 nas.local\n${LINE}\n${E}\n`, "remove") },
    {
      name: "a CRLF file with the block is cleaned, staying CRLF",
      code: "removed",
      message: /^127\.0\.0\.1 localhost\r\n10\.1\.1\.1 important\.host\r\n$/,
      succeeds: true,
      run: () => attempt(fileWith(`127.0.0.1 localhost\r\n${B}\r\n${LINE}\r\n${E}\r\n10.1.1.1 important.host\r\n`), removeHostsBlock),
    },
    {
      name: "a CRLF file gets a CRLF block and is restored byte for byte",
      code: "removed",
      message: /^127\.0\.0\.1 localhost\r\n10\.1\.1\.1 important\.host\r\n$/,
      succeeds: true,
      run: async () => {
        const file = fileWith("127.0.0.1 localhost\r\n10.1.1.1 important.host\r\n");
        const ctx = ctxFor(file);
        await addHostsBlock(ctx);
        const added = readFileSync(file, "utf8");
        const o = await attempt(file, removeHostsBlock, ctx);
        return { ...o, intact: !/[^\r]\n/.test(added) && added.includes(`${B}\r\n${LINE}\r\n${E}\r\n`) };
      },
    },
    {
      name: "markers with trailing spaces are recognised",
      code: "removed",
      message: /^127\.0\.0\.1 localhost\n10\.1\.1\.1 important\.host\n$/,
      succeeds: true,
      run: () => attempt(fileWith(`${ORIGINAL}${B} \n${LINE}\n${E}\t\n`), removeHostsBlock),
    },
    {
      name: "a line another program adds during the write is kept",
      code: "added",
      message: /10\.9\.9\.9 added\.by\.other\.editor\n# >>> anka-lab anka-lab >>>\n127\.0\.0\.1 anka\.controller anka\.registry\n# <<< anka-lab anka-lab <<<\n$/,
      succeeds: true,
      run: async () => {
        const file = fileWith(ORIGINAL);
        const real = new ExecaRunner();
        let raced = false;
        // Another editor writes between the lab's read and its swap.
        const racing: Runner = {
          async run(argv: readonly string[], options?: RunOptions) {
            if (!raced && argv[0] === "cp") {
              raced = true;
              appendFileSync(file, "10.9.9.9 added.by.other.editor\n");
            }
            return real.run(argv, options);
          },
          startDetached: (a, l) => real.startDetached(a, l),
          isAlive: (p) => real.isAlive(p),
          signal: (p, s) => real.signal(p, s),
          processInfo: (p) => real.processInfo(p),
          processes: () => real.processes(),
        };
        const o = await attempt(file, addHostsBlock, ctxFor(file, racing));
        return { ...o, intact: o.message.includes("important.host") && !existsSync(join(file, "..", ".hosts.anka-lab-next")) };
      },
    },
    {
      name: "backups are timestamped and at most 5 are kept",
      code: "removed",
      message: /^5 backups, the newest one the file as the last removal found it$/,
      succeeds: true,
      run: async () => {
        const file = fileWith(ORIGINAL);
        const ctx = ctxFor(file);
        let last = "absent";
        for (let i = 0; i < 4; i++) {
          await addHostsBlock(ctx);
          last = (await removeHostsBlock(ctx)).outcome;
        }
        const backups = readdirSync(ctx.state.dir).filter((f) => f.startsWith("hosts.backup.")).sort();
        const newest = readFileSync(ctx.state.path(backups.at(-1)!), "utf8");
        const asFound = newest === withHostsBlock(ORIGINAL, "anka-lab", ["anka.controller", "anka.registry"]);
        return { code: last, message: `${backups.length} backups, the newest one ${asFound ? "the file as the last removal found it" : "something else"}`, success: true, intact: readFileSync(file, "utf8") === ORIGINAL };
      },
    },
    {
      name: "an earlier line shadows a lab name: lab:up names the line to remove",
      code: 1,
      message: /line 2 of .*hosts, "10\.0\.0\.5 anka\.registry", comes first and sends anka\.registry to 10\.0\.0\.5: remove that line/,
      run: async () => {
        const file = fileWith("127.0.0.1 localhost\n10.0.0.5 anka.registry\n");
        const ctx = ctxFor(file);
        const o = await attempt(file, async (c) => {
          await hostsStep("add").run(c, recordingReport());
          return { outcome: "added" };
        }, ctx);
        // The block is added, but the name is not reported as resolved.
        return { ...o, intact: !hostsResolved(ctx) && readFileSync(file, "utf8").includes(LINE) };
      },
    },
  ]);
});
