// anka-lab transfer probe: LAB-ONLY. It stands in for a registry push along the same path (the
// registry LoadBalancer, the registry Ingress, the shared registry volume), because the protocol of
// `anka registry push` is not public. Single file, no dependencies: it ships in a ConfigMap and
// runs on a stock Node LTS image.
//
//   PUT    <prefix>/files/<path>   body = the file; headers x-anka-lab-sha256 (hex) and
//                                  Content-Length (or x-anka-lab-size). Streams to a temp file,
//                                  hashing as it writes; commits by atomic rename only when size
//                                  and sha256 match. 201 on commit, 422 on mismatch, 413 over the cap.
//   GET    <prefix>/files/<path>   the stored file, with its sha256 in x-anka-lab-sha256
//   DELETE <prefix>/files/<path>   removes a stored file
//   GET    <prefix>/healthz        {"status":"OK"}
// A PUT with x-anka-lab-hold-ms stays silent that long after the body before it answers.
// Every answer carries x-anka-lab-pod (the pod's name) so callers can tell the replicas apart.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { once } from "node:events";
import { createServer } from "node:http";
import { dirname, join, resolve, sep } from "node:path";

const PORT = Number(process.env.PROBE_PORT ?? 8070);
const HOST = process.env.PROBE_HOST ?? "0.0.0.0";
const ROOT = resolve(process.env.PROBE_ROOT ?? "/mnt/vol/anka-lab-probe");
const PREFIX = (process.env.PROBE_PREFIX ?? "/anka-lab-probe").replace(/\/$/, "");
const MAX_BYTES = Number(process.env.PROBE_MAX_BYTES ?? 64 * 2 ** 30);
const POD = process.env.POD_NAME ?? process.env.HOSTNAME ?? "local";
const FILES = join(ROOT, "files");
// How long a refused body is still read and discarded before the socket closes (nginx lingers 30 s at most).
const LINGER_MS = 5_000;
const MAX_HOLD_MS = 15 * 60_000;
const PARTIAL = join(ROOT, ".partial");

function send(res, status, body, headers = {}) {
  if (res.headersSent) return res.destroy();
  const text = JSON.stringify(body) + "\n";
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), "x-anka-lab-pod": POD, ...headers });
  res.end(text);
}

/** The stored path for a URL path, or undefined when it would leave FILES (traversal, absolute, odd bytes). */
function storedPath(rest) {
  let decoded;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    return undefined;
  }
  if (decoded === "" || decoded.includes("\0") || decoded.includes("\\") || decoded.startsWith("/")) return undefined;
  if (decoded.split("/").some((part) => part === "" || part === "." || part === "..")) return undefined;
  const full = resolve(FILES, decoded);
  return full.startsWith(FILES + sep) ? full : undefined;
}

/**
 * Refuses a body early, the way nginx does: answer, then keep reading and discarding for a bounded
 * time before closing (nginx's lingering close), because closing with unread data sends a TCP reset
 * that can destroy the answer before the client reads it. A client that reads the answer stops
 * sending; one that does not is cut off when the linger time is up.
 */
function refuseBody(req, res, status, message) {
  send(res, status, { status: "FAIL", message });
  req.resume();
  const linger = setTimeout(() => req.socket.destroy(), LINGER_MS);
  linger.unref();
  req.once("end", () => clearTimeout(linger));
}

async function put(req, res, target) {
  const declaredSha = String(req.headers["x-anka-lab-sha256"] ?? "").toLowerCase();
  const declaredSize = Number(req.headers["content-length"] ?? req.headers["x-anka-lab-size"] ?? NaN);
  if (!/^[0-9a-f]{64}$/.test(declaredSha)) return refuseBody(req, res, 400, "x-anka-lab-sha256 must be the body's sha256 in hex");
  if (!Number.isSafeInteger(declaredSize) || declaredSize < 0) return refuseBody(req, res, 411, "Content-Length (or x-anka-lab-size) is required");
  if (declaredSize > MAX_BYTES) return refuseBody(req, res, 413, `body of ${declaredSize} bytes is over this probe's cap of ${MAX_BYTES}`);

  await mkdir(PARTIAL, { recursive: true });
  // The pod's name in the temp file's name tells which replica was receiving when a push broke.
  const temp = join(PARTIAL, `${POD}-${randomBytes(8).toString("hex")}.part`);
  const out = createWriteStream(temp, { flags: "wx" });
  out.on("error", () => undefined);
  const hash = createHash("sha256");
  let received = 0;
  const discard = async () => {
    out.destroy();
    if (!out.closed) await once(out, "close").catch(() => undefined);
    await rm(temp, { force: true });
  };
  try {
    for await (const chunk of req) {
      received += chunk.length;
      if (received > declaredSize) {
        await discard();
        return refuseBody(req, res, 413, `body is larger than the declared ${declaredSize} bytes`);
      }
      hash.update(chunk);
      if (!out.write(chunk)) await once(out, "drain");
    }
  } catch {
    // The client went away mid-body (reset, timeout, a killed pod on its side): nothing stays.
    return discard();
  }
  if (!req.complete) return discard();
  out.end();
  await once(out, "close");
  const sha = hash.digest("hex");
  if (received !== declaredSize || sha !== declaredSha) {
    await rm(temp, { force: true });
    return send(res, 422, { status: "FAIL", message: `got ${received} bytes with sha256 ${sha}; declared ${declaredSize} bytes with sha256 ${declaredSha}; nothing stored` });
  }
  // x-anka-lab-hold-ms: a silent phase after the body, like a registry finishing a large layer
  // before it answers (lab:repro idle-timeout); capped at 15 minutes.
  const hold = Math.min(Math.max(Number(req.headers["x-anka-lab-hold-ms"] ?? 0) || 0, 0), MAX_HOLD_MS);
  if (hold > 0) await new Promise((resolveHold) => setTimeout(resolveHold, hold));
  await mkdir(dirname(target), { recursive: true });
  await writeFile(`${temp}.sha256`, sha);
  await rename(`${temp}.sha256`, `${target}.sha256`);
  await rename(temp, target);
  send(res, 201, { status: "OK", body: { size: received, sha256: sha } }, { "x-anka-lab-sha256": sha });
}

async function get(req, res, target) {
  let info;
  try {
    info = await stat(target);
  } catch {
    return send(res, 404, { status: "FAIL", message: "no such file" });
  }
  if (!info.isFile()) return send(res, 404, { status: "FAIL", message: "no such file" });
  const sha = await readFile(`${target}.sha256`, "utf8").catch(() => "");
  res.writeHead(200, { "content-type": "application/octet-stream", "content-length": info.size, "x-anka-lab-sha256": sha, "x-anka-lab-pod": POD });
  if (req.method === "HEAD") return res.end();
  createReadStream(target).on("error", () => res.destroy()).pipe(res);
}

const server = createServer(async (req, res) => {
  try {
    // The raw path, not new URL(): URL parsing would resolve "a/../../x" before it could be refused.
    const pathname = (req.url ?? "/").split("?")[0];
    const url = { pathname };
    if (!url.pathname.startsWith(PREFIX + "/")) return send(res, 404, { status: "FAIL", message: `unknown route; this probe serves ${PREFIX}/files/<path> and ${PREFIX}/healthz` });
    const route = url.pathname.slice(PREFIX.length);
    if (route === "/healthz") return send(res, 200, { status: "OK", body: { pod: POD, root: ROOT } });
    if (!route.startsWith("/files/")) return send(res, 404, { status: "FAIL", message: `unknown route ${route}` });
    const target = storedPath(route.slice("/files/".length));
    if (!target) return send(res, 400, { status: "FAIL", message: "bad path: no '..', '.', empty or absolute parts" }, { connection: "close" });
    if (req.method === "PUT") return await put(req, res, target);
    if (req.method === "GET" || req.method === "HEAD") return await get(req, res, target);
    if (req.method === "DELETE") {
      await rm(target, { force: true });
      await rm(`${target}.sha256`, { force: true });
      return send(res, 200, { status: "OK" });
    }
    return send(res, 405, { status: "FAIL", message: `${req.method} is not allowed; use PUT, GET, HEAD or DELETE` }, { allow: "PUT, GET, HEAD, DELETE" });
  } catch (error) {
    send(res, 500, { status: "FAIL", message: String(error?.message ?? error) });
  }
});
// Multi-GiB bodies take minutes: no request timeout; idle sockets still time out.
server.requestTimeout = 0;
server.headersTimeout = 60_000;
server.keepAliveTimeout = 65_000;
server.listen(PORT, HOST, () => console.log(`anka-lab probe listening on ${HOST}:${PORT}${PREFIX}, storing in ${ROOT}`));
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
