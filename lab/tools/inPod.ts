import type { LabContext } from "../context.js";
import { ETCD_PORTS, NAMES } from "../topology/names.js";

/**
 * Commands run inside the lab's pods with `kubectl exec`: etcdctl in the etcd containers (the
 * release images ship it; Veertu's chart uses it as an exec probe) and `node -e` in the probe
 * containers (the one image in a build-cloud pod with a runtime). Programs are constant text;
 * paths and values travel as argv.
 */
export async function etcdctl(ctx: LabContext, member: number, args: string[], options: { allowFailure?: boolean; change?: boolean } = {}) {
  const argv = ctx.kubectl("exec", "-n", ctx.config.namespace, `${NAMES.etcd}-${member}`, "-c", "etcd", "--", "etcdctl", `--endpoints=http://127.0.0.1:${ETCD_PORTS.client}`, ...args);
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
  const result = await ctx.run(ctx.kubectl("exec", "-n", ctx.config.namespace, pod, "-c", "probe", "--", "node", "-e", program, ...args), {
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
export const NODE_SHA256 =
  "const h=require('crypto').createHash('sha256');require('fs').createReadStream(process.argv[1]).on('data',d=>h.update(d)).on('end',()=>process.stdout.write(h.digest('hex')))";

/** Writes text to a file in a build-cloud pod's probe container, making its folders. */
export async function writeInProbe(ctx: LabContext, pod: string, path: string, text: string): Promise<void> {
  await nodeInProbe(ctx, pod, NODE_WRITE, path, text);
}

/** A file's text, read in a build-cloud pod's probe container. */
export function readInProbe(ctx: LabContext, pod: string, path: string): Promise<string> {
  return nodeInProbe(ctx, pod, NODE_READ, path);
}

/** A file's sha256 (hex), computed in a build-cloud pod's probe container. */
export async function sha256InProbe(ctx: LabContext, pod: string, path: string): Promise<string> {
  return (await nodeInProbe(ctx, pod, NODE_SHA256, path)).trim();
}

/**
 * etcdctl's key commands through one member (etcd etcdctl/ctlv3/command/put_command.go, get_command.go
 * with --print-value-only, del_command.go); the value read back, trimmed.
 */
export async function etcdPut(ctx: LabContext, member: number, key: string, value: string): Promise<void> {
  await etcdctl(ctx, member, ["put", key, value]);
}

export async function etcdGet(ctx: LabContext, member: number, key: string): Promise<string> {
  return (await etcdctl(ctx, member, ["get", key, "--print-value-only"])).stdout.trim();
}

export async function etcdDel(ctx: LabContext, member: number, key: string): Promise<void> {
  await etcdctl(ctx, member, ["del", key]);
}
