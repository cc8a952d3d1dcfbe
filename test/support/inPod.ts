import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { DU_TOTAL_KIB, ETCDCTL } from "../../lab/tools/inPod.js";
import { quorumOf } from "../../lab/topology/names.js";
import type { Answer } from "./fakeRunner.js";

/**
 * What commands inside the lab's pods answer (`kubectl exec …` and `kubectl logs`), the one part
 * of a cluster the control-plane tier cannot run: its pods have no containers (kwok). Everything
 * else kubectl does goes to the real API server. Sources of the answers:
 *  - etcdctl endpoint health --cluster: one "<url> is healthy: successfully committed proposal:
 *    took = <duration>" line per member (etcd etcdctl/ctlv3/command/ep_command.go, epHealthCommandFunc);
 *    the members are the etcd pods the API server reports Ready.
 *    With -w json: [{"endpoint","health","took"}] per started member (same file, epHealth).
 *  - etcdctl member list -w simple: "<id hex>, started|unstarted, <name>, <peer URLs>, <client URLs>,
 *    <is learner>" per member; an added member that has not started has no name and no client URLs;
 *    member add prints "Member <id> added to cluster <cluster id>", member remove "Member <id>
 *    removed from cluster <cluster id>" (etcd etcdctl/ctlv3/command/printer_simple.go). The members
 *    are the bootstrap ConfigMap's initial cluster when a namespace is first asked (or, with no
 *    ConfigMap, the etcd pods Ready then), then what add and remove make of them. As captured from
 *    etcd 3.4.23 (Debian) bootstrapping 3 members: each is listed "started" with its name from the
 *    start, but with client URLs only once it has run (here: its pod has been Ready), and
 *    `endpoint health --cluster` checks only members with client URLs; until a quorum of them has
 *    run, no member answers: member list prints "Error: context deadline exceeded", endpoint health
 *    "Error: failed to fetch endpoints from etcd cluster member list: context deadline exceeded",
 *    both exit 1.
 *  - etcdctl put prints "OK"; get --print-value-only prints the value; del prints the count
 *    (etcd etcdctl/ctlv3/command/printer_simple.go).
 *  - du -sk prints "<KiB>\t<path>" (GNU coreutils du).
 *  - `node -e` in the probe container runs for real here, with /mnt/vol mapped to a test folder.
 * The commands are recognised by the words lab/tools/inPod.ts exports for them (ETCDCTL,
 * DU_TOTAL_KIB), so the adapters and this model share one definition of each; what they answer
 * follows the sources above. A form not recognised answers as etcdctl does an unknown one.
 *  - kubectl on a pod that does not exist: "Error from server (NotFound): pods \"x\" not found", exit 1.
 */
/**
 * One etcd member: `named` once it has published its name (from the start for a bootstrap member,
 * once it runs for an added one: etcd prints the nameless ones "unstarted"), `ran` once it has run
 * and so has client URLs.
 */
interface Member {
  id: string;
  peerUrl: string;
  named: boolean;
  ran: boolean;
}

/** What etcdctl 3.4 prints when no member can answer: its 5 s --command-timeout passed without a quorum. */
const NO_QUORUM = "context deadline exceeded";

/** Whether `command` begins with the words `form`. */
const startsWith = (command: readonly string[], form: readonly string[]) => form.every((word, i) => command[i] === word);

/** etcd-N from http://etcd-N.etcd-headless.<namespace>.svc.cluster.local:2379. */
const nameOf = (url: string) => /^https?:\/\/([^.]+)\./.exec(url)![1]!;

export class InPodCommands {
  /** What etcdctl put/get/del see. */
  readonly etcdKeys = new Map<string, string>();
  /** The host folder behind the pods' /mnt/vol, when `node -e` should run for real. */
  podVolume: string | undefined;
  /** KiB that `du -sk /tmp/nginx/client-body` reports in the ingress controller pod. */
  spoolKiB = 0;
  /** Log lines `kubectl logs` prints for any container. */
  log = "";
  /** Members (etcd-N) whose health check fails although their pod runs, as a hung etcd process's would. */
  readonly unhealthy = new Set<string>();
  /** Each namespace's etcd membership, by member name (etcd-N). */
  private readonly members = new Map<string, Map<string, Member>>();
  private nextMemberId = 0x8e9e05c52164694dn;

  /** Called with every in-pod command once it has been answered, e.g. to step a test along. */
  onAnswered?: (argv: readonly string[]) => void;

  constructor(
    /** The etcd member URLs of Ready etcd pods in a namespace, from the API server. */
    private readonly readyEtcdMembers: (namespace: string) => Promise<string[]>,
    /** Whether a pod exists, from the API server. */
    private readonly podExists: (namespace: string, pod: string) => Promise<boolean>,
    /** The bootstrap ConfigMap's initial-cluster ("etcd-0=<peer URL>,…"), from the API server. */
    private readonly initialCluster: (namespace: string) => Promise<string | undefined> = async () => undefined,
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
    if (startsWith(command, DU_TOTAL_KIB)) return { stdout: `${this.spoolKiB}\t${command[DU_TOTAL_KIB.length]}\n` };
    if (command[0] === "node" && command[1] === "-e") return this.node(command);
    if (command[0] === "etcdctl") return this.etcdctl(namespace, command.filter((a) => !a.startsWith("--endpoints")));
    return { exitCode: 126, stderr: `OCI runtime exec failed: exec: "${command[0]}": executable file not found in $PATH\ncommand terminated with exit code 126\n` };
  }

  /** The membership of a namespace's etcd, members that have run updated from the pods Ready now. */
  private async membership(namespace: string) {
    const ready = await this.readyEtcdMembers(namespace);
    let members = this.members.get(namespace);
    if (!members) {
      const initial = await this.initialCluster(namespace);
      const bootstrap = initial
        ? initial.split(",").map((entry) => entry.split("=") as [string, string])
        : ready.map((url) => [nameOf(url), url.replace(/:2379$/, ":2380")] as [string, string]);
      members = new Map(bootstrap.map(([name, peerUrl]) => [name, { id: (this.nextMemberId++).toString(16), peerUrl, named: true, ran: false }]));
      if (members.size > 0) this.members.set(namespace, members);
    }
    for (const url of ready) {
      const member = members.get(nameOf(url));
      if (member) member.named = member.ran = true;
    }
    const ran = [...members.values()].filter((m) => m.ran).length;
    return { members, ready: new Set(ready), quorum: members.size > 0 && ran >= quorumOf(members.size) };
  }

  private async etcdctl(namespace: string, command: readonly string[]): Promise<Answer> {
    const args = command.slice(1);
    // The cluster-wide health check, -w json (ETCDCTL.clusterHealth) or in the default simple format.
    if (startsWith(args, ETCDCTL.clusterHealth.slice(0, 3))) {
      const json = startsWith(args, ETCDCTL.clusterHealth);
      const { members, ready: running, quorum } = await this.membership(namespace);
      if (!quorum) return { exitCode: 1, stderr: `Error: failed to fetch endpoints from etcd cluster member list: ${NO_QUORUM}\n` };
      const ready = new Set([...running].filter((url) => !this.unhealthy.has(nameOf(url))));
      const urls = [...members.values()].filter((m) => m.ran).map((m) => m.peerUrl.replace(/:2380$/, ":2379"));
      if (json) return { stdout: JSON.stringify(urls.map((url, i) => ({ endpoint: url, health: ready.has(url), took: `2.31${i}ms` }))) + "\n", exitCode: urls.every((u) => ready.has(u)) ? 0 : 1 };
      return { stdout: urls.filter((u) => ready.has(u)).map((url, i) => `${url} is healthy: successfully committed proposal: took = 2.31${i}ms`).join("\n") + "\n" };
    }
    if (startsWith(args, ETCDCTL.memberList)) {
      const { members, quorum } = await this.membership(namespace);
      if (!quorum) return { exitCode: 1, stderr: `Error: ${NO_QUORUM}\n` };
      return {
        stdout: [...members.entries()]
          .map(([name, m]) => [m.id, m.named ? "started" : "unstarted", m.named ? name : "", m.peerUrl, m.ran ? m.peerUrl.replace(/:2380$/, ":2379") : "", "false"].join(", "))
          .join("\n") + "\n",
      };
    }
    if (startsWith(args, ETCDCTL.memberAdd)) {
      const { members } = await this.membership(namespace);
      const name = args[ETCDCTL.memberAdd.length]!;
      const peerUrl = args.find((a) => a.startsWith(ETCDCTL.peerUrlsFlag))?.slice(ETCDCTL.peerUrlsFlag.length);
      // etcdctl refuses an add without peer URLs, exiting ExitBadArgs (member_command.go
      // memberAddCommandFunc; error.go ExitBadArgs = 128; etcdctl 3.4 answers the same).
      if (!peerUrl) return { exitCode: 128, stderr: "Error: member peer urls not provided\n" };
      const id = (this.nextMemberId++).toString(16);
      members.set(name, { id, peerUrl, named: false, ran: false });
      return { stdout: `Member ${id} added to cluster cdf818194e3a8c32\n` };
    }
    if (startsWith(args, ETCDCTL.memberRemove)) {
      const { members } = await this.membership(namespace);
      const id = args[ETCDCTL.memberRemove.length];
      const entry = [...members.entries()].find(([, m]) => m.id === id);
      if (!entry) return { exitCode: 1, stderr: `Error: etcdserver: member not found\n` };
      members.delete(entry[0]);
      return { stdout: `Member ${id} removed from cluster cdf818194e3a8c32\n` };
    }
    const [, key, value] = args;
    if (startsWith(args, ETCDCTL.put)) return (this.etcdKeys.set(key!, value!), { stdout: "OK\n" });
    if (startsWith(args, ETCDCTL.get)) {
      if (!this.etcdKeys.has(key!)) return { stdout: "" };
      // The simple format prints the key's line, then the value's; --print-value-only the value alone (printer_simple.go printKV).
      return { stdout: `${args.includes(ETCDCTL.printValueOnly) ? "" : `${key}\n`}${this.etcdKeys.get(key!)}\n` };
    }
    if (startsWith(args, ETCDCTL.del)) return { stdout: this.etcdKeys.delete(key!) ? "1\n" : "0\n" };
    return { exitCode: 1, stderr: `Error: unknown command "${args[0]}" for "etcdctl"\n` };
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
