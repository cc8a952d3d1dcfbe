import type { LabContext } from "../context.js";
import { ETCD_PORTS, NAMES } from "../topology/names.js";
import type { RunResult } from "../exec/types.js";
import { execArgv } from "./kubectl.js";

/**
 * Commands run inside the lab's pods with `kubectl exec`: etcdctl in the etcd containers (the
 * release images ship it; Veertu's chart uses it as an exec probe) and `node -e` in the probe
 * containers (the one image in a build-cloud pod with a runtime). Programs are constant text;
 * paths and values travel as argv.
 */
export async function etcdctl(ctx: LabContext, member: number, args: string[], options: { allowFailure?: boolean; change?: boolean } = {}) {
  const argv = execArgv(ctx, ctx.config.namespace, `${NAMES.etcd}-${member}`, "etcd", ["etcdctl", `--endpoints=http://127.0.0.1:${ETCD_PORTS.client}`, ...args]);
  // A membership change goes through ctx.change, so --dry-run records it instead of making it.
  return (options.change ? ctx.change.bind(ctx) : ctx.run.bind(ctx))(argv, { timeoutMs: 60_000, allowFailure: options.allowFailure });
}

/** `etcdctl endpoint health --cluster` prints "<url> is healthy: successfully committed proposal: took = …" per member. */
export function healthyMembers(stdout: string): number {
  return stdout.split("\n").filter((l) => / is healthy: /.test(l)).length;
}

/** How many members answer healthy, asked through etcd-0, and etcdctl's exit code. */
export async function etcdClusterHealth(ctx: LabContext): Promise<{ healthy: number; exitCode: number }> {
  const result = await etcdctl(ctx, 0, ["endpoint", "health", "--cluster"], { allowFailure: true });
  return { healthy: healthyMembers(result.stdout), exitCode: result.exitCode };
}

/** Runs a constant `node -e` program in a build-cloud pod's probe container; returns its stdout. */
export async function nodeInProbe(ctx: LabContext, pod: string, program: string, ...args: string[]): Promise<string> {
  const result = await ctx.run(execArgv(ctx, ctx.config.namespace, pod, PROBE_CONTAINER, ["node", "-e", program, ...args]), {
    timeoutMs: 300_000,
  });
  return result.stdout;
}

// --- in-pod programs used by lab:smoke ---

/**
 * lab:smoke's `node -e` programs for the probe containers; paths and values travel as argv
 * (process.argv[1] onwards under `node -e`: https://nodejs.org/api/process.html#processargv),
 * never spliced into the program text.
 */
export const NODE_WRITE =
  "const fs=require('fs'),p=require('path');fs.mkdirSync(p.dirname(process.argv[1]),{recursive:true});fs.writeFileSync(process.argv[1],process.argv[2])";
export const NODE_READ = "process.stdout.write(require('fs').readFileSync(process.argv[1],'utf8'))";

/** Writes text to a file in a build-cloud pod's probe container, making its folders. */
export async function writeInProbe(ctx: LabContext, pod: string, path: string, text: string): Promise<void> {
  await nodeInProbe(ctx, pod, NODE_WRITE, path, text);
}

/** A file's text, read in a build-cloud pod's probe container. */
export function readInProbe(ctx: LabContext, pod: string, path: string): Promise<string> {
  return nodeInProbe(ctx, pod, NODE_READ, path);
}


// --- used by lab/repro and lab/etcd ---
// Every in-pod argv lab/repro and lab/etcd run is built here, so they call names, not argv (issue
// #13). The model of in-pod commands (test/support/inPod.ts) recognises them by the same constants.

/**
 * The etcdctl forms the lab runs, as etcdctl spells them (etcd-io/etcd etcdctl/ctlv3/command/
 * member_command.go, ep_command.go, get_command.go; ctl.go for the global `-w/--write-out`; the same
 * in 3.4 and 3.5, checked with etcdctl 3.4 `--help`).
 */
export const ETCDCTL = {
  memberList: ["member", "list", "-w", "simple"],
  /** JSON, because the plain form goes to stdout in 3.5 but to stderr in 3.4 (printer_simple.go). */
  clusterHealth: ["endpoint", "health", "--cluster", "-w", "json"],
  /** `member add <memberName> --peer-urls=<urls>`. */
  memberAdd: ["member", "add"],
  peerUrlsFlag: "--peer-urls=",
  /** `member remove <memberID>` (hex, as member list prints it). */
  memberRemove: ["member", "remove"],
  put: ["put"],
  /** `get <key> --print-value-only`: the value alone, in the simple format. */
  get: ["get"],
  printValueOnly: "--print-value-only",
  del: ["del"],
} as const;

/** One line of `etcdctl member list -w simple`. */
export interface ListedMember {
  readonly id: string;
  readonly started: boolean;
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
}

/**
 * Parses `etcdctl member list -w simple`: "ID, STATUS, NAME, PEER ADDRS, CLIENT ADDRS, IS LEARNER",
 * fields joined by ", " and URLs within a field by "," (etcd-io/etcd etcdctl/ctlv3/command/printer_simple.go;
 * 3.4 prints the same columns). An added, unstarted member has an empty name and no client URLs.
 */
export function parseMemberList(stdout: string): ListedMember[] {
  return stdout
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => {
      const [id, status, name, peers, clients] = line.split(", ");
      return {
        id: id!.trim(),
        started: status === "started",
        name: name ?? "",
        peerUrls: (peers ?? "").split(",").filter(Boolean),
        clientUrls: (clients ?? "").split(",").filter(Boolean),
      };
    });
}

/**
 * `endpoint health --cluster -w json`: [{"endpoint","health","took","error"}] per member with a
 * client URL (etcd-io/etcd etcdctl/ctlv3/command/ep_command.go epHealth, same in 3.4 and 3.5).
 */
export function healthyUrls(stdout: string): Set<string> {
  try {
    const entries = JSON.parse(stdout) as { endpoint: string; health: boolean }[];
    return new Set(entries.filter((e) => e.health).map((e) => e.endpoint));
  } catch {
    return new Set();
  }
}

/** The members as etcd lists them, asked through member `via`; undefined when its etcdctl does not answer (pod down, no quorum). */
export async function etcdctlMemberList(ctx: LabContext, via: number): Promise<ListedMember[] | undefined> {
  const result = await etcdctl(ctx, via, [...ETCDCTL.memberList], { allowFailure: true });
  return result.exitCode === 0 ? parseMemberList(result.stdout) : undefined;
}

/** The client URLs of the members that answer healthy, asked through member `via` (none when etcdctl fails). */
export async function etcdctlHealthyUrls(ctx: LabContext, via: number): Promise<Set<string>> {
  return healthyUrls((await etcdctl(ctx, via, [...ETCDCTL.clusterHealth], { allowFailure: true })).stdout);
}

/**
 * Adds member `name` with its peer URL, through member `via`: a change (--dry-run records it). Hands
 * back etcdctl's result, so the caller can retry the refusals etcd means as "not yet".
 */
export function etcdctlMemberAdd(ctx: LabContext, via: number, name: string, peerUrl: string, options: { allowFailure?: boolean } = {}): Promise<RunResult> {
  return etcdctl(ctx, via, [...ETCDCTL.memberAdd, name, `${ETCDCTL.peerUrlsFlag}${peerUrl}`], { change: true, allowFailure: options.allowFailure });
}

/** Removes the member with hex id `id`, through member `via`: a change, as etcdctlMemberAdd. */
export function etcdctlMemberRemove(ctx: LabContext, via: number, id: string, options: { allowFailure?: boolean } = {}): Promise<RunResult> {
  return etcdctl(ctx, via, [...ETCDCTL.memberRemove, id], { change: true, allowFailure: options.allowFailure });
}

/** Writes `key` through member `member`. */
export async function etcdctlPut(ctx: LabContext, member: number, key: string, value: string): Promise<void> {
  await etcdctl(ctx, member, [...ETCDCTL.put, key, value]);
}

/** The value of `key` read through member `member`, trimmed; "" when the key does not exist. */
export async function etcdctlGet(ctx: LabContext, member: number, key: string): Promise<string> {
  return (await etcdctl(ctx, member, [...ETCDCTL.get, key, ETCDCTL.printValueOnly])).stdout.trim();
}

/** Deletes `key` through member `member`; `allowFailure` for a cleanup that must not fail the caller. */
export async function etcdctlDel(ctx: LabContext, member: number, key: string, options: { allowFailure?: boolean } = {}): Promise<void> {
  await etcdctl(ctx, member, [...ETCDCTL.del, key], { allowFailure: options.allowFailure });
}

/**
 * `node -e` programs for the probe container (the one image in a build-cloud pod with a runtime),
 * run by nodeInProbe; constant text, paths arrive as argv (process.argv[1] under `node -e`:
 * https://nodejs.org/api/cli.html#-e---eval-script). The model runs them for real.
 */
export const PROBE_PROGRAMS = {
  /** The names in a directory, one a line; nothing when it does not exist. */
  listDir: "const fs=require('fs');try{process.stdout.write(fs.readdirSync(process.argv[1]).join('\\n'))}catch{}",
  /** sha256 of a file, streamed, or "absent". */
  sha256OrAbsent:
    "const fs=require('fs'),p=process.argv[1];if(!fs.existsSync(p)){process.stdout.write('absent')}else{const h=require('crypto').createHash('sha256');" +
    "fs.createReadStream(p).on('data',(d)=>h.update(d)).on('end',()=>process.stdout.write(h.digest('hex')))}",
  /**
   * Prints {"stat":…,"usage":…} from the container's cgroup v2 files, or v1's if that is what the
   * node has (https://docs.kernel.org/admin-guide/cgroup-v2.html "memory.stat", "memory.current";
   * cgroup-v1/memory.html section 5.2); lab/repro/memory.ts reads the figures.
   */
  readCgroupMemory:
    "const fs=require('fs');const r=f=>{try{return fs.readFileSync(f,'utf8')}catch{return null}};" +
    "const v2=r('/sys/fs/cgroup/memory.stat');" +
    "process.stdout.write(JSON.stringify(v2!==null?{stat:v2,usage:r('/sys/fs/cgroup/memory.current')}:{stat:r('/sys/fs/cgroup/memory/memory.stat'),usage:r('/sys/fs/cgroup/memory/memory.usage_in_bytes')}))",
} as const;

/** The probe container's name in a build-cloud pod (lab/topology/probe.ts probeContainer). */
export const PROBE_CONTAINER = "probe";

/** The names in directory `dir` of a build-cloud pod's probe container (none when it does not exist). */
export async function listDirInProbe(ctx: LabContext, pod: string, dir: string): Promise<string[]> {
  return (await nodeInProbe(ctx, pod, PROBE_PROGRAMS.listDir, dir)).split("\n").filter(Boolean);
}

/** The sha256 (hex) of `path` as a build-cloud pod's probe container reads it; undefined when there is no such file. */
export async function sha256InProbe(ctx: LabContext, pod: string, path: string): Promise<string | undefined> {
  const sha = await nodeInProbe(ctx, pod, PROBE_PROGRAMS.sha256OrAbsent, path);
  return sha === "absent" ? undefined : sha;
}

/** A probe container's cgroup memory files as text; undefined when they cannot be read (pod gone, no cgroup files). */
export async function cgroupMemoryInProbe(ctx: LabContext, pod: string): Promise<{ stat: string; usage: string } | undefined> {
  const argv = execArgv(ctx, ctx.config.namespace, pod, PROBE_CONTAINER, ["node", "-e", PROBE_PROGRAMS.readCgroupMemory]);
  const result = await ctx.run(argv, { allowFailure: true, timeoutMs: 20_000 });
  try {
    const { stat, usage } = JSON.parse(result.stdout) as { stat: string | null; usage: string | null };
    return stat && usage ? { stat, usage } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `du -sk <dir>`: the total (-s) of a directory in 1024-byte units (-k), printed "<KiB><blank><dir>"
 * (POSIX du, https://pubs.opengroup.org/onlinepubs/9699919799/utilities/du.html). The ingress-nginx
 * controller image is Alpine-based (kubernetes/ingress-nginx images/nginx/README.md), so this is
 * busybox's du, which like GNU's separates the two with a tab.
 */
export const DU_TOTAL_KIB = ["du", "-sk"] as const;

/** KiB under `dir` in a pod's default container; undefined when du answers no number (no such directory, pod gone). */
export async function diskUsageKiB(ctx: LabContext, namespace: string, pod: string, dir: string): Promise<number | undefined> {
  const result = await ctx.run(execArgv(ctx, namespace, pod, undefined, [...DU_TOTAL_KIB, dir]), { allowFailure: true, timeoutMs: 20_000 });
  const kib = Number(result.stdout.trim().split(/\s+/)[0]);
  return result.stdout.trim() && Number.isFinite(kib) ? kib : undefined;
}
