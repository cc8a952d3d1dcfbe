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
// Every answer carries x-anka-lab-pod (the pod's name) so callers can tell the replicas apart.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { dirname, join, resolve, sep } from "node:path";

const PORT = Number(process.env.PROBE_PORT ?? 8070);
const HOST = process.env.PROBE_HOST ?? "0.0.0.0";
const ROOT = resolve(process.env.PROBE_ROOT ?? "/mnt/vol/anka-lab-probe");
const PREFIX = (process.env.PROBE_PREFIX ?? "/anka-lab-probe").replace(/\/$/, "");
const MAX_BYTES = Number(process.env.PROBE_MAX_BYTES ?? 64 * 2 ** 30);
const POD = process.env.POD_NAME ?? process.env.HOSTNAME ?? "local";
const FILES = join(ROOT, "files");
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

async function put(req, res, target) {
  const declaredSha = String(req.headers["x-anka-lab-sha256"] ?? "").toLowerCase();
  const declaredSize = Number(req.headers["content-length"] ?? req.headers["x-anka-lab-size"] ?? NaN);
  if (!/^[0-9a-f]{64}$/.test(declaredSha)) return send(res, 400, { status: "FAIL", message: "x-anka-lab-sha256 must be the body's sha256 in hex" });
  if (!Number.isSafeInteger(declaredSize) || declaredSize < 0)
    return send(res, 411, { status: "FAIL", message: "Content-Length (or x-anka-lab-size) is required" });
  if (declaredSize > MAX_BYTES)
    return send(res, 413, { status: "FAIL", message: `body of ${declaredSize} bytes is over this probe's cap of ${MAX_BYTES}` }, { connection: "close" });

  await mkdir(PARTIAL, { recursive: true });
  const temp = join(PARTIAL, `${randomBytes(8).toString("hex")}.part`);
  const out = createWriteStream(temp, { flags: "wx" });
  const hash = createHash("sha256");
  let received = 0;
  let failed = false;
  const abandon = async () => {
    failed = true;
    out.destroy();
    await rm(temp, { force: true });
  };
  // A client that goes away mid-body (reset, timeout, killed pod on its side) leaves nothing behind.
  req.on("aborted", () => void abandon());
  req.on("error", () => void abandon());
  try {
    for await (const chunk of req) {
      received += chunk.length;
      if (received > MAX_BYTES || received > declaredSize) {
        await abandon();
        return send(res, 413, { status: "FAIL", message: `body is larger than declared (${declaredSize}) or the cap (${MAX_BYTES})` }, { connection: "close" });
      }
      hash.update(chunk);
      if (!out.write(chunk)) await new Promise((r) => out.once("drain", r));
    }
  } catch {
    await abandon();
    return;
  }
  if (failed || req.readableAborted) return abandon();
  await new Promise((resolveEnd, reject) => out.end((error) => (error ? reject(error) : resolveEnd())));
  const sha = hash.digest("hex");
  if (received !== declaredSize || sha !== declaredSha) {
    await rm(temp, { force: true });
    return send(res, 422, { status: "FAIL", message: `got ${received} bytes with sha256 ${sha}; declared ${declaredSize} bytes with sha256 ${declaredSha}; nothing stored` });
  }
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
    const url = new URL(req.url ?? "/", "http://probe");
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
