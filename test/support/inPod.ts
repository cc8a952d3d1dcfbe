import { execFileSync } from "node:child_process";
import { join } from "node:path";
import type { Answer } from "./fakeRunner.js";

/**
 * What commands inside the lab's pods answer (`kubectl exec …` and `kubectl logs`), the one part
 * of a cluster the control-plane tier cannot run: its pods have no containers (kwok). Everything
 * else kubectl does goes to the real API server. Sources of the answers:
 *  - etcdctl endpoint health --cluster: one "<url> is healthy: successfully committed proposal:
 *    took = <duration>" line per member (etcd etcdctl/ctlv3/command/ep_command.go, epHealthCommandFunc);
 *    the members are the etcd pods the API server reports Ready.
 *  - etcdctl put prints "OK"; get --print-value-only prints the value; del prints the count
 *    (etcd etcdctl/ctlv3/command/printer_simple.go).
 *  - du -sk prints "<KiB>\t<path>" (GNU coreutils du).
 *  - `node -e` in the probe container runs for real here, with /mnt/vol mapped to a test folder.
 *  - kubectl on a pod that does not exist: "Error from server (NotFound): pods \"x\" not found", exit 1.
 */
export class InPodCommands {
  /** What etcdctl put/get/del see. */
  readonly etcdKeys = new Map<string, string>();
  /** The host folder behind the pods' /mnt/vol, when `node -e` should run for real. */
  podVolume: string | undefined;
  /** KiB that `du -sk /tmp/nginx/client-body` reports in the ingress controller pod. */
  spoolKiB = 0;
  /** Log lines `kubectl logs` prints for any container. */
  log = "";
  /** Called with every in-pod command once it has been answered, e.g. to step a test along. */
  onAnswered?: (argv: readonly string[]) => void;

  constructor(
    /** The etcd member URLs of Ready etcd pods in a namespace, from the API server. */
    private readonly readyEtcdMembers: (namespace: string) => Promise<string[]>,
    /** Whether a pod exists, from the API server. */
    private readonly podExists: (namespace: string, pod: string) => Promise<boolean>,
  ) {}

  /** Answers `kubectl [--context C] exec|logs …`; undefined for every other kubectl call. */
  async answer(argv: readonly string[]): Promise<Answer | undefined> {
    if (argv[0] !== "kubectl") return undefined;
    const verbAt = argv[1] === "--context" ? 3 : 1;
    const verb = argv[verbAt];
    if (verb !== "exec" && verb !== "logs") return undefined;
    const answer = await this.answerInPod(argv, verbAt, verb);
    this.onAnswered?.(argv);
    return answer;
  }

  private async answerInPod(argv: readonly string[], verbAt: number, verb: string): Promise<Answer> {
    const namespace = argv[argv.indexOf("-n") + 1]!;
    const pod = argv.slice(verbAt + 1).find((a, i, rest) => !a.startsWith("-") && !["-n", "-c", "--tail"].includes(rest[i - 1] ?? ""))!;
    if (!(await this.podExists(namespace, pod))) return { exitCode: 1, stderr: `Error from server (NotFound): pods "${pod}" not found\n` };
    if (verb === "logs") return { stdout: this.log ? `${this.log}\n` : "" };
    const command = argv.slice(argv.indexOf("--") + 1);
    if (command[0] === "du") return { stdout: `${this.spoolKiB}\t${command[2]}\n` };
    if (command[0] === "node" && command[1] === "-e") return this.node(command);
    if (command[0] === "etcdctl") return this.etcdctl(namespace, command.filter((a) => !a.startsWith("--endpoints")));
    return { exitCode: 126, stderr: `OCI runtime exec failed: exec: "${command[0]}": executable file not found in $PATH\ncommand terminated with exit code 126\n` };
  }

  private async etcdctl(namespace: string, command: readonly string[]): Promise<Answer> {
    const [, verb, key, value] = command;
    if (verb === "endpoint" && key === "health") {
      const members = await this.readyEtcdMembers(namespace);
      return { stdout: members.map((url, i) => `${url} is healthy: successfully committed proposal: took = 2.31${i}ms`).join("\n") + "\n" };
    }
    if (verb === "put") return (this.etcdKeys.set(key!, value!), { stdout: "OK\n" });
    if (verb === "get") return { stdout: this.etcdKeys.has(key!) ? `${this.etcdKeys.get(key!)}\n` : "" };
    if (verb === "del") return { stdout: this.etcdKeys.delete(key!) ? "1\n" : "0\n" };
    return { exitCode: 1, stderr: `Error: unknown command "${verb}" for "etcdctl"\n` };
  }

  private node(command: readonly string[]): Answer {
    if (!this.podVolume) return { exitCode: 1, stderr: "error: unable to upgrade connection: container not found (\"probe\")\n" };
    const args = command.slice(3).map((a) => (a.startsWith("/mnt/vol/") ? join(this.podVolume!, a.slice("/mnt/vol/".length)) : a));
    try {
      return { stdout: execFileSync(process.execPath, ["-e", command[2]!, ...args], { encoding: "utf8" }) };
    } catch (error) {
      const e = error as { status?: number; stderr?: string };
      return { exitCode: e.status ?? 1, stderr: `${e.stderr ?? ""}command terminated with exit code ${e.status ?? 1}\n` };
    }
  }
}
