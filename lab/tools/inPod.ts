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
