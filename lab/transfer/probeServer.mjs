// anka-lab transfer probe: LAB-ONLY. It stands in for a registry push along the same path (the
// registry LoadBalancer, the registry Ingress, the shared registry volume), because the protocol of
// `anka registry push` is not public. Single file, no dependencies: it ships in a ConfigMap and
// runs on a stock Node LTS image.
//
//   PUT    <prefix>/files/<path>   body = the file; headers x-anka-lab-sha256 (hex) and
//                                  Content-Length (or x-anka-lab-size). Streams to a temp file,
//                                  hashing as it writes; commits by one atomic rename only when
//                                  size and sha256 match. 201 on commit, 422 on mismatch, 413 over
//                                  the cap, 507 when the volume has no room.
//                                  With "x-anka-lab-sha256: at-end" the body is the file followed
//                                  by its sha256 in hex (64 bytes), so a client can hash while it
//                                  sends: the file is the body less those 64 bytes, and the same
//                                  check decides the commit. (Not an HTTP trailer: nginx drops
//                                  request trailers when it proxies, checked with nginx 1.22, and
//                                  proxy_pass_trailers covers response trailers only:
//                                  https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_pass_trailers.)
//   GET    <prefix>/files/<path>   the stored file, with its sha256 in x-anka-lab-sha256
//   DELETE <prefix>/files/<path>   removes a stored file
//   GET    <prefix>/healthz        {"status":"OK"}
// A PUT with x-anka-lab-hold-ms stays silent that long after the body before it answers.
// Every answer carries x-anka-lab-pod (the pod's name) so callers can tell the replicas apart.
// With PROBE_TOKEN set, PUT and DELETE need "Authorization: Bearer <token>" (401 without it).
//
// Layout under PROBE_ROOT:
//   files/<path>     stored files, the only place a URL can name
//   .meta/<inode>    {"sha256","size","mtimeNs"} of a stored file, keyed by its inode: rename(2)
//                    keeps the inode, so the checksum is written before the one rename that commits
//                    the body, and no URL can reach it
//   .partial/        temp files of bodies in flight, named <pod>-<random>.part
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { constants } from "node:fs";
import { link, lstat, mkdir, open, readdir, readFile, rename, rm, rmdir, statfs, utimes, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { join, resolve } from "node:path";

const env = process.env;
const PORT = Number(env.PROBE_PORT ?? 8070);
const HOST = env.PROBE_HOST ?? "0.0.0.0";
const ROOT = resolve(env.PROBE_ROOT ?? "/mnt/vol/anka-lab-probe");
const PREFIX = (env.PROBE_PREFIX ?? "/anka-lab-probe").replace(/\/$/, "");
const MAX_BYTES = Number(env.PROBE_MAX_BYTES ?? 64 * 2 ** 30);
const POD = env.POD_NAME ?? env.HOSTNAME ?? "local";
const TOKEN = env.PROBE_TOKEN ?? "";
// A body that moves no byte for this long is cut with 408 (nginx's client_body_timeout is 60 s).
const IDLE_MS = Number(env.PROBE_IDLE_MS ?? 60_000);
// Connections beyond this are dropped by Node before any handler runs (server.maxConnections).
const MAX_CONNECTIONS = Number(env.PROBE_MAX_CONNECTIONS ?? 256);
// On SIGTERM, uploads in flight get this long to finish (Kubernetes waits 30 s by default before SIGKILL).
const GRACE_MS = Number(env.PROBE_GRACE_MS ?? 20_000);
const FILES = join(ROOT, "files");
const META = join(ROOT, ".meta");
const PARTIAL = join(ROOT, ".partial");
// How long a refused body is still read and discarded before the socket closes (nginx lingers 30 s at most).
const LINGER_MS = 5_000;
const MAX_HOLD_MS = 15 * 60_000;
// Another replica's temp file untouched this long belongs to an upload that is gone (bodies in
// flight move at least every IDLE_MS, held ones are touched every IDLE_MS / 2).
const STALE_MS = 2 * IDLE_MS;
// Longest name of one path part on Linux filesystems (NAME_MAX, limits.h); longer gives ENAMETOOLONG.
const NAME_MAX = 255;
// open(2): O_NOFOLLOW fails with ELOOP when the last part is a symbolic link; O_EXCL with O_CREAT
// fails when the name exists. Node exposes them as fs.constants (https://nodejs.org/api/fs.html#file-open-constants).
const { O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_WRONLY } = constants;

/**
 * A refusal with an HTTP status and a message that names the problem and the fix; never a server
 * path. Statuses: 400/401/408/409/413/422 as in RFC 9110 section 15.5 (401 with a Bearer challenge,
 * RFC 6750 section 3); 507 Insufficient Storage, RFC 4918 section 11.5.
 */
class Refusal extends Error {
  constructor(status, message, extra = {}) {
    super(message);
    this.status = status;
    this.extra = extra;
  }
}

/** Writes a whole JSON answer without finishing the response; false when an answer had begun (then the response is destroyed). */
function writeAnswer(res, status, body, headers = {}) {
  if (res.headersSent) return (res.destroy(), false);
  const text = JSON.stringify(body) + "\n";
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), "x-anka-lab-pod": POD, ...headers });
  res.write(text);
  return true;
}

function send(res, status, body, headers = {}) {
  if (writeAnswer(res, status, body, headers)) res.end();
}

/** What a filesystem error means for a request, without naming a path on the server. */
function fsRefusal(error, rel) {
  switch (error?.code) {
    case "ENOSPC":
    case "EDQUOT":
      return new Refusal(507, `the volume is full while storing ${rel}; free space on the registry volume`);
    case "ENAMETOOLONG":
      return new Refusal(400, `${rel}: a path part is longer than ${NAME_MAX} bytes; use shorter names`);
    case "ENOTDIR":
    case "EEXIST":
      return new Refusal(409, `${rel}: a parent of this path is a file, not a folder; DELETE it first or choose another path`);
    case "EISDIR":
    case "ENOTEMPTY":
      return new Refusal(409, `${rel}: this path is a folder; choose a file path inside it`);
    case "ELOOP":
      return new Refusal(400, `${rel}: the path crosses a symbolic link; the probe never follows links`);
    case "EROFS":
    case "EACCES":
    case "EPERM":
      return new Refusal(500, `the volume refused the write (${error.code}); check the registry volume's mount and permissions`);
    default:
      return new Refusal(500, `internal error (${error?.code ?? "unknown"}); see the probe's log`);
  }
}

/**
 * The path parts below files/ for a URL path, or a 400 refusal: no traversal, no absolute or empty
 * parts, no control bytes, no part longer than the filesystem allows.
 */
function pathParts(rest) {
  let decoded;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    throw new Refusal(400, "bad path: it is not valid percent-encoded UTF-8");
  }
  const bad = (why) => new Refusal(400, `bad path: ${why}`);
  if (decoded === "" || decoded.startsWith("/")) throw bad("no '..', '.', empty or absolute parts");
  // Control bytes (NUL, CR, LF, ...) would end up in names that break logs, listings and headers.
  if (/[\u0000-\u001f\u007f\\]/.test(decoded)) throw bad("no control characters or backslashes");
  const parts = decoded.split("/");
  if (parts.some((part) => part === "" || part === "." || part === "..")) throw bad("no '..', '.', empty or absolute parts");
  if (parts.some((part) => Buffer.byteLength(part) > NAME_MAX)) throw bad(`each part at most ${NAME_MAX} bytes long`);
  return parts;
}

/**
 * Walks files/<parts> with lstat, which never follows a link (lstat(2)), and refuses any symbolic
 * link on the way, so no request reaches outside files/ through a link planted in the volume.
 * `create` makes missing folders one at a time (mkdir without recursion, then lstat again).
 * Returns the full path and the lstat of the last part (undefined when it does not exist).
 */
async function walk(parts, { create = false } = {}) {
  const rel = parts.join("/");
  let dir = FILES;
  for (const part of parts.slice(0, -1)) {
    dir = join(dir, part);
    let info = await lstat(dir).catch((error) => (error.code === "ENOENT" ? undefined : Promise.reject(error)));
    if (!info && create) {
      await mkdir(dir).catch((error) => (error.code === "EEXIST" ? undefined : Promise.reject(error)));
      info = await lstat(dir);
    }
    if (!info) return { full: join(FILES, ...parts), info: undefined, missingParent: true, rel };
    if (info.isSymbolicLink()) throw new Refusal(400, `${rel}: the path crosses a symbolic link at "${part}"; the probe never follows links`);
    if (!info.isDirectory()) throw new Refusal(409, `${rel}: "${part}" is a file, not a folder; DELETE it first or choose another path`);
  }
  const full = join(dir, parts.at(-1));
  const info = await lstat(full).catch((error) => (error.code === "ENOENT" ? undefined : Promise.reject(error)));
  if (info?.isSymbolicLink()) throw new Refusal(400, `${rel}: it is a symbolic link; the probe never follows links`);
  return { full, info, missingParent: false, rel };
}

const metaPath = (ino) => join(META, String(ino));

/** Writes a stored file's checksum record atomically (a temp name, then rename). */
async function writeMeta(stats, sha256) {
  const record = JSON.stringify({ sha256, size: String(stats.size), mtimeNs: String(stats.mtimeNs) });
  const temp = join(META, `.${stats.ino}-${randomBytes(6).toString("hex")}`);
  await writeFile(temp, record, { flag: "wx" });
  await rename(temp, metaPath(stats.ino));
}

/** The sha256 recorded for an open file, or "" when the record is missing or belongs to other bytes. */
async function readMeta(stats) {
  try {
    const record = JSON.parse(await readFile(metaPath(stats.ino), "utf8"));
    return record.size === String(stats.size) && record.mtimeNs === String(stats.mtimeNs) ? record.sha256 : "";
  } catch {
    return "";
  }
}

/** Bytes the volume can still take (statfs(2) f_bavail * f_bsize; https://nodejs.org/api/fs.html#fspromisesstatfspath-options). */
async function freeBytes() {
  const s = await statfs(ROOT);
  return s.bavail * s.bsize;
}

/** Bytes promised to bodies in flight, so two uploads cannot both count on the same free space. */
let reserved = 0;

/**
 * Refuses a body early, the way nginx does: answer, then keep reading and discarding for a bounded
 * time before closing (nginx's lingering close, https://nginx.org/en/docs/http/ngx_http_core_module.html#lingering_close),
 * because closing with unread data sends a TCP reset that can destroy the answer before the client
 * reads it. A client that reads the answer stops sending; one that does not is cut off when the
 * linger time is up.
 *
 * The answer's bytes are written at once but the response is finished only when the body has been
 * read: Node closes a connection as soon as an answer finishes when the request said
 * "Connection: close" (resOnFinish in lib/_http_server.js calls socket.destroySoon() when res._last,
 * which _storeHeader in lib/_http_outgoing.js sets for such a request), unread body or not, and
 * Node's client without an Agent always says it.
 */
function refuseBody(req, res, status, body, headers = {}) {
  if (!writeAnswer(res, status, { status: "FAIL", ...body }, headers)) return;
  req.resume();
  const linger = setTimeout(() => req.socket.destroy(), LINGER_MS);
  linger.unref();
  res.once("close", () => clearTimeout(linger));
  req.once("end", () => {
    clearTimeout(linger);
    res.end();
  });
}

/**
 * Removes temp files: this pod's when `own` (at start and after shutdown, when none of its uploads
 * is in flight), and anyone's untouched for STALE_MS (an upload whose probe was killed).
 */
async function sweepPartials({ own }) {
  const names = await readdir(PARTIAL).catch(() => []);
  const now = Date.now();
  for (const name of names) {
    const path = join(PARTIAL, name);
    if (!(own && name.startsWith(`${POD}-`))) {
      const info = await lstat(path).catch(() => undefined);
      if (!info || now - info.mtimeMs < STALE_MS) continue;
    }
    await rm(path, { force: true, recursive: true }).catch(() => undefined);
  }
}

/** Removes checksum records whose inode is no longer a stored file (a crash before the commit, a DELETE). */
async function sweepMeta() {
  const live = new Set();
  const entries = await readdir(FILES, { recursive: true }).catch(() => []);
  for (const entry of entries) {
    const info = await lstat(join(FILES, entry), { bigint: true }).catch(() => undefined);
    if (info?.isFile()) live.add(String(info.ino));
  }
  const now = Date.now();
  for (const name of await readdir(META).catch(() => [])) {
    if (live.has(name)) continue;
    // A record younger than STALE_MS may belong to another replica's commit in progress.
    const info = await lstat(join(META, name)).catch(() => undefined);
    if (info && now - info.mtimeMs >= STALE_MS) await rm(join(META, name), { force: true });
  }
}

function bearerOk(req) {
  if (!TOKEN) return true;
  const given = /^Bearer (\S+)$/i.exec(String(req.headers.authorization ?? ""))?.[1] ?? "";
  // Equal-length digests, so the comparison takes the same time whatever the guess
  // (https://nodejs.org/api/crypto.html#cryptotimingsafeequala-b).
  const digest = (s) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(given), digest(TOKEN));
}

/** Content-Length, or x-anka-lab-size for a chunked body: decimal digits only, at most 2^53 - 1. */
function declaredSizeOf(req) {
  const text = req.headers["content-length"] ?? req.headers["x-anka-lab-size"];
  if (text === undefined) throw new Refusal(411, "Content-Length (or x-anka-lab-size for a chunked body) is required");
  if (!/^\d+$/.test(text)) throw new Refusal(400, `size "${String(text).slice(0, 40)}" is not a whole number of bytes in decimal`);
  const size = Number(text);
  if (!Number.isSafeInteger(size)) throw new Refusal(413, `body of ${text} bytes is over this probe's cap of ${MAX_BYTES}`);
  return size;
}

/** The length of a sha256 in hex: the tail of an "at-end" body. */
const DIGEST_TAIL = 64;

/** Bytes of a body gathered before one write to the temp file. */
const WRITE_BATCH = 2 ** 20;

/**
 * Writes every byte of `buffers`: writev(2) may write less than asked (a full volume), and
 * FileHandle.writev reports that without retrying (https://nodejs.org/api/fs.html#filehandlewritevbuffers-position),
 * so the rest is written again until done, or until the error (ENOSPC) that explains the short write.
 */
async function writeAll(file, buffers) {
  let left = buffers.filter((b) => b.length > 0);
  while (left.length > 0) {
    const { bytesWritten } = await file.writev(left);
    let skip = bytesWritten;
    while (left.length > 0 && skip >= left[0].length) skip -= left.shift().length;
    if (left.length > 0 && skip > 0) left[0] = left[0].subarray(skip);
  }
}

async function put(req, res, parts) {
  const shaHeader = String(req.headers["x-anka-lab-sha256"] ?? "").trim().toLowerCase();
  const atEnd = shaHeader === "at-end";
  if (!atEnd && !/^[0-9a-f]{64}$/.test(shaHeader))
    throw new Refusal(400, `x-anka-lab-sha256 must be the body's sha256 in hex, or "at-end" with the sha256 in hex as the body's last ${DIGEST_TAIL} bytes`);
  const bodySize = declaredSizeOf(req);
  if (atEnd && bodySize < DIGEST_TAIL) throw new Refusal(400, `a body with its sha256 at the end has at least those ${DIGEST_TAIL} bytes; this one declares ${bodySize}`);
  // The file's size: the whole body, or the body less its sha256 tail.
  const declaredSize = atEnd ? bodySize - DIGEST_TAIL : bodySize;
  if (declaredSize > MAX_BYTES) throw new Refusal(413, `body of ${declaredSize} bytes is over this probe's cap of ${MAX_BYTES}`);
  // Refuse what cannot be committed before reading a byte: a link or a file on the way.
  const target = await walk(parts);
  if (target.info?.isDirectory()) throw new Refusal(409, `${target.rel}: this path is a folder; choose a file path inside it`);
  const free = await freeBytes();
  if (declaredSize > free - reserved)
    throw new Refusal(507, `the volume has ${Math.max(0, free - reserved)} bytes free for this body of ${declaredSize}; free space on the registry volume or push less`, {
      free: Math.max(0, free - reserved),
      needed: declaredSize,
    });

  await mkdir(PARTIAL, { recursive: true });
  // The pod's name in the temp file's name tells which replica was receiving when a push broke.
  const temp = join(PARTIAL, `${POD}-${randomBytes(8).toString("hex")}.part`);
  reserved += declaredSize;
  let file;
  let committed = false;
  try {
    file = await open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
    const hash = createHash("sha256");
    let received = 0;
    // An "at-end" body's last bytes: its sha256 in hex, kept apart from the file.
    const tail = [];
    // Chunks come off the socket 64 KiB at a time; they are written a batch at a time, since each
    // write is a round trip to libuv's thread pool (https://nodejs.org/api/fs.html#filehandlewritevbuffers-position).
    const batch = [];
    let batched = 0;
    let written = 0;
    // One write in flight while the next batch is read: the socket keeps moving during a write,
    // which waits in libuv's thread pool for a core on a busy machine (the transfer bench: 1 GiB
    // through nginx rose from about 320 to 390 MB/s). An early return leaves it to close(), which
    // waits for pending operations (https://nodejs.org/api/fs.html#filehandleclose).
    let writing = Promise.resolve();
    const flush = async () => {
      await writing;
      const buffers = batch.splice(0);
      batched = 0;
      writing = writeAll(file, buffers).then(() => {
        written += buffers.reduce((n, b) => n + b.length, 0);
      });
      // Handled where it is awaited; never an unhandled rejection meanwhile.
      writing.catch(() => undefined);
    };
    // destroyOnReturn: false keeps the socket when the loop stops early, so a refusal can still be
    // answered and the rest of the body drained (https://nodejs.org/api/stream.html#readableiteratoroptions).
    let writeFailure;
    try {
      for await (const chunk of req.iterator({ destroyOnReturn: false })) {
        const at = received;
        received += chunk.length;
        if (received > bodySize) return refuseBody(req, res, 413, { message: `body is larger than the declared ${bodySize} bytes; nothing stored` });
        // The part of this chunk that belongs to the file; the rest is the sha256 tail.
        const data = received <= declaredSize ? chunk : chunk.subarray(0, Math.max(0, declaredSize - at));
        if (data.length < chunk.length) tail.push(chunk.subarray(data.length));
        if (data.length === 0) continue;
        hash.update(data);
        batch.push(data);
        batched += data.length;
        if (batched < WRITE_BATCH) continue;
        try {
          await flush();
        } catch (error) {
          writeFailure = { error, at: written };
          break;
        }
      }
      if (!writeFailure) await flush().then(() => writing).catch((error) => (writeFailure = { error, at: written }));
    } catch {
      // The client went away mid-body (reset, idle timeout, a killed pod on its side): nothing stays.
      return;
    }
    if (writeFailure) {
      const refusal = fsRefusal(writeFailure.error, target.rel);
      if (refusal.status !== 507) throw refusal;
      // The free space once this temp file is gone: what the client can count on next time.
      await file.close().catch(() => undefined);
      file = undefined;
      await rm(temp, { force: true });
      const freeNow = await freeBytes().catch(() => 0);
      return refuseBody(req, res, 507, {
        message: `the volume filled up after ${writeFailure.at} of ${declaredSize} bytes: ${freeNow} bytes free, ${declaredSize} needed; free space on the registry volume or push less`,
        free: freeNow,
        needed: declaredSize,
      });
    }
    if (!req.complete) return;
    // The body is in: what follows (fsync, the hold) moves no byte on the socket and must not time out.
    req.socket.setTimeout(0);
    // A client gone before the answer (stopped, or cut by a proxy) never learns of a commit, and a
    // stopped push deletes what it knows it stored: so nothing is committed for it. The response's
    // 'close' tells of a connection ended before end() (https://nodejs.org/api/http.html#event-close_2).
    let clientGone = false;
    res.once("close", () => (clientGone = !res.writableEnded));
    const sha = hash.digest("hex");
    const declaredSha = atEnd ? Buffer.concat(tail).toString("latin1").toLowerCase() : shaHeader;
    if (received !== bodySize || sha !== declaredSha) {
      const declared = /^[0-9a-f]{64}$/.test(declaredSha) ? `sha256 ${declaredSha}` : `a body whose last ${DIGEST_TAIL} bytes are not a sha256 in hex`;
      throw new Refusal(422, `got ${Math.min(received, declaredSize)} bytes with sha256 ${sha}; declared ${declaredSize} bytes with ${declared}; nothing stored`);
    }
    // x-anka-lab-hold-ms: a silent phase after the body, like a registry finishing a large layer
    // before it answers (lab:repro idle-timeout); capped at 15 minutes. The idle timeout is off
    // meanwhile, and the temp file is touched so no replica's sweep takes it for stale.
    const hold = Math.min(Math.max(Number(req.headers["x-anka-lab-hold-ms"] ?? 0) || 0, 0), MAX_HOLD_MS);
    if (hold > 0) {
      const touch = setInterval(() => utimes(temp, new Date(), new Date()).catch(() => undefined), IDLE_MS / 2);
      // SIGTERM ends a hold early, so shutting down never waits out 15 minutes.
      await new Promise((resolveHold) => {
        const timer = setTimeout(resolveHold, hold);
        stopping.then(() => (clearTimeout(timer), resolveHold()));
      });
      clearInterval(touch);
    }
    // fsync(2) before the rename: after a crash the committed name holds these bytes, not a hole.
    await file.sync();
    const stats = await file.stat({ bigint: true });
    await file.close();
    file = undefined;
    if (clientGone) return;
    await commit(temp, stats, sha, parts);
    committed = true;
    send(res, 201, { status: "OK", body: { size: declaredSize, sha256: sha } }, { "x-anka-lab-sha256": sha });
  } finally {
    reserved -= declaredSize;
    await file?.close().catch(() => undefined);
    if (!committed) {
      await rm(temp, { force: true }).catch(() => undefined);
      // Temp files of uploads that died elsewhere (another replica killed mid-body) go too.
      void sweepPartials({ own: false }).catch(() => undefined);
    }
  }
}

/**
 * The commit: the checksum record is keyed by the temp file's inode and written first; then one
 * rename(2) puts the body in place. rename keeps the inode and atomically replaces the old name, so
 * concurrent PUTs to one path end with one body and its own record, and a crash before the rename
 * leaves only a temp file and an orphan record that the next start sweeps.
 */
async function commit(temp, stats, sha, parts) {
  const target = await walk(parts, { create: true });
  if (target.info?.isDirectory()) throw new Refusal(409, `${target.rel}: this path is a folder; choose a file path inside it`);
  await mkdir(META, { recursive: true });
  await writeMeta(stats, sha);
  // Hold the replaced body's inode under a second name until its record is gone, so the inode
  // number cannot be reused by another upload while the record is removed.
  const old = join(PARTIAL, `${POD}-${randomBytes(8).toString("hex")}.replaced`);
  const kept = target.info ? await link(target.full, old).then(() => true, () => false) : false;
  try {
    await rename(temp, target.full);
  } catch (error) {
    await rm(metaPath(stats.ino), { force: true });
    if (kept) await rm(old, { force: true });
    throw fsRefusal(error, target.rel);
  }
  if (kept) {
    const oldInfo = await lstat(old, { bigint: true }).catch(() => undefined);
    if (oldInfo && oldInfo.ino !== stats.ino) await rm(metaPath(oldInfo.ino), { force: true });
    await rm(old, { force: true });
  }
}

async function get(req, res, parts) {
  const target = await walk(parts);
  if (!target.info?.isFile()) return send(res, 404, { status: "FAIL", message: "no such file" });
  let file;
  try {
    // O_NOFOLLOW: a link swapped in after the walk fails with ELOOP instead of being followed.
    file = await open(target.full, O_RDONLY | O_NOFOLLOW);
  } catch (error) {
    if (error.code === "ENOENT") return send(res, 404, { status: "FAIL", message: "no such file" });
    throw fsRefusal(error, target.rel);
  }
  const stats = await file.stat({ bigint: true });
  if (!stats.isFile()) {
    await file.close();
    return send(res, 404, { status: "FAIL", message: "no such file" });
  }
  const sha = await readMeta(stats);
  res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(stats.size), "x-anka-lab-pod": POD, ...(sha ? { "x-anka-lab-sha256": sha } : {}) });
  if (req.method === "HEAD") {
    await file.close();
    return res.end();
  }
  file
    .createReadStream()
    .on("error", () => res.destroy())
    .pipe(res);
}

async function remove(res, parts) {
  const target = await walk(parts);
  if (target.info?.isDirectory()) throw new Refusal(409, `${target.rel}: this path is a folder; DELETE the files inside it`);
  if (target.info) {
    // Moved aside first, so the inode stays taken while its record is removed (see commit()).
    await mkdir(PARTIAL, { recursive: true });
    const aside = join(PARTIAL, `${POD}-${randomBytes(8).toString("hex")}.deleted`);
    await rename(target.full, aside);
    const info = await lstat(aside, { bigint: true }).catch(() => undefined);
    if (info) await rm(metaPath(info.ino), { force: true });
    await rm(aside, { force: true });
    // Empty folders left behind go too, up to files/ (rmdir(2) fails on a folder with entries).
    for (let n = parts.length - 1; n > 0; n--) if (!(await rmdir(join(FILES, ...parts.slice(0, n))).then(() => true, () => false))) break;
  }
  return send(res, 200, { status: "OK" });
}

/** Resolves on SIGTERM; long waits (a hold) end early on it. */
let stop;
const stopping = new Promise((resolveStop) => (stop = resolveStop));

/** Requests in flight, so SIGTERM can wait for their temp files to be removed. */
const inFlight = new Set();

async function handle(req, res) {
  // The raw path, not new URL(): URL parsing would resolve "a/../../x" before it could be refused.
  const pathname = (req.url ?? "/").split("?")[0];
  if (!pathname.startsWith(PREFIX + "/")) return send(res, 404, { status: "FAIL", message: `unknown route; this probe serves ${PREFIX}/files/<path> and ${PREFIX}/healthz` });
  const route = pathname.slice(PREFIX.length);
  if (route === "/healthz") return send(res, 200, { status: "OK", body: { pod: POD } });
  if (!route.startsWith("/files/")) return send(res, 404, { status: "FAIL", message: `unknown route ${route}` });
  const method = req.method;
  if (!["PUT", "GET", "HEAD", "DELETE"].includes(method))
    return send(res, 405, { status: "FAIL", message: `${method} is not allowed; use PUT, GET, HEAD or DELETE` }, { allow: "PUT, GET, HEAD, DELETE" });
  // RFC 6750 section 3: a missing or wrong bearer token is 401 with a WWW-Authenticate challenge.
  if ((method === "PUT" || method === "DELETE") && !bearerOk(req))
    throw new Refusal(401, "this probe needs its lab token: send Authorization: Bearer <token> (lab:push --token or ANKA_LAB_PROBE_TOKEN)");
  const parts = pathParts(route.slice("/files/".length));
  if (method === "PUT") return await put(req, res, parts);
  if (method === "DELETE") return await remove(res, parts);
  return await get(req, res, parts);
}

const server = createServer((req, res) => {
  // An idle body is cut: no byte for IDLE_MS answers 408 and closes. Node emits 'timeout' on the
  // request first; with a listener there, Node leaves the socket to it (https://nodejs.org/api/http.html#requestsettimeouttimeout-callback).
  req.setTimeout(IDLE_MS, () => {
    if (!res.headersSent) send(res, 408, { status: "FAIL", message: `no byte of the body arrived for ${IDLE_MS / 1000} s; send the body without pauses` }, { connection: "close" });
    // Once the answer is out Node no longer ties the request to its socket, so end the request
    // itself too: that is what stops the upload's read loop and removes its temp file.
    const cut = () => {
      req.destroy();
      req.socket.destroy();
    };
    res.once("finish", cut);
    // A deadline, not a pause: if the answer cannot be flushed within a second, cut anyway.
    setTimeout(cut, 1000).unref();
  });
  const work = handle(req, res).catch((error) => {
    const refusal = error instanceof Refusal ? error : fsRefusal(error, "this path");
    if (!(error instanceof Refusal)) console.error(`anka-lab probe: ${req.method} ${req.url}: ${error?.code ?? ""} ${error?.message ?? error}`);
    const headers = refusal.status === 401 ? { "www-authenticate": 'Bearer realm="anka-lab-probe"' } : {};
    // A refusal before the body is read still drains it, so the answer is not lost to a reset.
    if (req.method === "PUT" && !req.complete) return refuseBody(req, res, refusal.status, { message: refusal.message, ...refusal.extra }, headers);
    send(res, refusal.status, { status: "FAIL", message: refusal.message, ...refusal.extra }, headers);
  });
  inFlight.add(work);
  work.finally(() => inFlight.delete(work));
});
// Multi-GiB bodies take minutes: no limit on a whole request, only on idleness (above).
server.requestTimeout = 0;
server.headersTimeout = 60_000;
server.keepAliveTimeout = 65_000;
// Connections over this are closed on arrival (https://nodejs.org/api/net.html#servermaxconnections).
server.maxConnections = MAX_CONNECTIONS;

await mkdir(FILES, { recursive: true });
await mkdir(META, { recursive: true });
await mkdir(PARTIAL, { recursive: true });
await sweepPartials({ own: true });
await sweepMeta().catch(() => undefined);
server.listen(PORT, HOST, () => console.log(`anka-lab probe listening on ${HOST}:${PORT}${PREFIX}, storing in ${ROOT}${TOKEN ? ", PUT and DELETE need the lab token" : ""}`));

let stopped = false;
function shutdown() {
  if (stopped) return;
  stopped = true;
  stop();
  // close() stops accepting and (Node >= 19) closes idle keep-alive sockets; uploads in flight get
  // GRACE_MS, then every socket is closed (https://nodejs.org/api/http.html#servercloseallconnections).
  server.close();
  server.closeIdleConnections();
  const grace = setTimeout(() => server.closeAllConnections(), GRACE_MS);
  grace.unref();
  const done = async () => {
    await Promise.allSettled([...inFlight]);
    await sweepPartials({ own: true }).catch(() => undefined);
    process.exit(0);
  };
  server.once("close", () => void done());
}
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, shutdown);
