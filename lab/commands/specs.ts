/**
 * Every command's flags and help, with no imports beyond the CLI's parser types, so `--help` and
 * the dispatcher in lab/cli/main.ts load none of the heavy modules (zod, kubernetes-models, execa,
 * listr2) a command's work needs.
 */
import { CONFIG_FLAGS, type CommandSpec, type FlagSpec } from "../cli/command.js";
import { DOWN_STEP_LINES, UP_STEP_LINES } from "./stepLists.js";

export const CONTEXT_FLAG: FlagSpec = {
  name: "context",
  type: "string",
  value: "NAME",
  description: "run on this existing kube context instead of minikube (shortcut for --set context=NAME)",
};
export const DRY_RUN_FLAG: FlagSpec = { name: "dry-run", type: "boolean", description: "print the plan and change nothing" };
export const VERBOSE_FLAG: FlagSpec = { name: "verbose", short: "v", type: "boolean", description: "echo every command the lab runs, and stacks on errors" };

/** --json: exactly one JSON document on stdout (a failure included), progress on stderr. */
export const JSON_FLAG: FlagSpec = { name: "json", type: "boolean", description: "print one JSON document on stdout (progress stays on stderr), for scripts" };
export const LAB_FLAGS: readonly FlagSpec[] = [...CONFIG_FLAGS, CONTEXT_FLAG];

export const upSpec: CommandSpec = {
  name: "lab:up",
  summary: "bring up the HA Anka Build Cloud lab on minikube (safe to run again)",
  flags: [
    ...LAB_FLAGS,
    { name: "hosts", type: "boolean", description: "add the lab's hostnames to /etc/hosts without asking (uses sudo)" },
    { name: "timeout", type: "string", value: "SECONDS", description: "deadline for each wait (default 900)" },
    DRY_RUN_FLAG,
    JSON_FLAG,
    VERBOSE_FLAG,
  ],
  details: `Steps, each skipped when its state already holds (lab/lifecycle/up.ts):\n${UP_STEP_LINES.map((l) => `  ${l.replaceAll("\n", "\n  ")}`).join("\n")}
A failed wait prints pod state, events, logs and the likely cause. Ctrl-C stops cleanly; the next
lab:up carries on from the state in .lab/.`,
  examples: ["npm run lab:up", "npm run lab:up -- --hosts", "npm run lab:up -- --dry-run", "npm run lab:up -- --context my-cluster --set registry.storageClass=efs"],
};

export const statusSpec: CommandSpec = {
  name: "lab:status",
  summary: "show the lab's profile, tunnel, pods, endpoints and health",
  flags: [...LAB_FLAGS, JSON_FLAG, VERBOSE_FLAG],
  details: "Exits 0 when everything is healthy, 1 otherwise. Changes nothing.",
  examples: ["npm run lab:status", "npm run -s lab:status -- --json | jq .health"],
};

export const smokeSpec: CommandSpec = {
  name: "lab:smoke",
  summary: "prove the HA claims: status, etcd quorum, one shared registry volume, multi-GiB pushes through the LoadBalancer and the Ingress",
  flags: [
    ...LAB_FLAGS,
    { name: "size", type: "string", value: "SIZE", description: "sample template size per push (default 2Gi)" },
    { name: "seed", type: "string", value: "N", description: "which sample template (default: a new one each run)" },
    { name: "anka-template", type: "string", value: "NAME", description: "also push this VM with the real Anka CLI and find it through the registry's REST API" },
    { name: "tag", type: "string", value: "TAG", description: "tag for --anka-template (default anka-lab-smoke)" },
    { name: "keep", type: "boolean", description: "leave the pushed sample files on the shared volume" },
    JSON_FLAG,
    VERBOSE_FLAG,
  ],
  details: `Checks, each a pass/fail line; all run even when one fails, then a table with throughputs:
  - controller and registry status through their LoadBalancers
  - etcd: every member healthy; a key put through etcd-0 is read through etcd-1
  - both registry replicas see one volume: written in one pod, read in the other
  - the sample template pushed through the registry LoadBalancer, and again through the Ingress,
    then every file's sha256 recomputed inside the replica that did not store it
  - with --anka-template and the anka CLI: a real anka registry push, then GET /registry/v2/vm
Exits 1 if any check fails.`,
  examples: ["npm run lab:smoke", "npm run lab:smoke -- --size 8Gi", "npm run lab:smoke -- --anka-template macos-15 --tag base"],
};

export const pushSpec: CommandSpec = {
  name: "lab:push",
  summary: "push a generated sample VM template through the lab's push path and verify it",
  flags: [
    { name: "to", type: "string", value: "URL", description: "where: the registry's probe port (http://127.0.0.1:8087) or its Ingress (http://anka.registry:8080)" },
    { name: "size", type: "string", value: "SIZE", description: "total template size, e.g. 4Gi (default 1Gi, at least 1Mi)" },
    { name: "seed", type: "string", value: "N", description: "which sample: the same seed and size give the same bytes (default 1)" },
    { name: "token", type: "string", value: "TOKEN", description: "the lab's probe token, when the probe requires one (default: $ANKA_LAB_PROBE_TOKEN)" },
    { name: "cacert", type: "string", value: "FILE", description: "for https:// URLs: PEM file of the CA that signed the server's certificate" },
    { name: "insecure", type: "boolean", description: "for https:// URLs: accept any certificate (lab-only, self-signed)" },
    JSON_FLAG,
  ],
  details: `The template (a config yaml, nvram, .ank layers and a state file) is generated on the fly and never
written to your disk. Each file is streamed with bounded memory to the lab-only transfer probe,
which stores it on the shared registry volume only if its size and sha256 match. Transient failures
(resets, refused connections, stalls, 408, 422 and 5xx but 507) are retried with backoff; a 413, 404,
401, 507 or another refusal is explained and not retried. Credentials in --to
(http://USER:PASSWORD@HOST) are sent as Basic auth with every request and never printed.`,
  examples: [
    "npm run lab:push -- --to http://127.0.0.1:8087 --size 4Gi",
    "npm run lab:push -- --to http://anka.registry:8080 --size 2Gi --seed 7",
    "npm run lab:push -- --to https://anka.registry:8443 --cacert .lab/tls/ca.crt --token $(cat .lab/probe-token)",
  ],
};

export const reproSpec: CommandSpec = {
  name: "lab:repro",
  summary: "reproduce a known support issue on the lab: broken, symptom shown, fixed, symptom gone, restored",
  usage: "SCENARIO [flags] | --list",
  positionals: true,
  flags: [
    ...LAB_FLAGS,
    { name: "list", type: "boolean", description: "print the scenarios, one line each" },
    { name: "keep", type: "boolean", description: "leave the broken state in place after the verdict, for investigation" },
    { name: "size", type: "string", value: "SIZE", description: "bytes per sample push (default 1Gi)" },
    { name: "idle-seconds", type: "string", value: "N", description: "idle timeout to model in idle-timeout (default 350, an AWS NLB's; e.g. 10 for a quick run)" },
    { name: "memory-limit", type: "string", value: "SIZE", description: "limit put on the registry in registry-memory-limit (default 256Mi)" },
    JSON_FLAG,
    VERBOSE_FLAG,
  ],
  details: `Each scenario runs: setup (break the lab), act and observe, verdict ("reproduced", or "not reproduced
here, because ..." with the evidence), fix, verify, restore. Restore runs even after a failure or
Ctrl-C, unless --keep. Exits 0 when the issue was reproduced and the fix verified.`,
  examples: ["npm run lab:repro -- --list", "npm run lab:repro -- ingress-body-size", "npm run lab:repro -- idle-timeout --idle-seconds 10", "npm run lab:repro -- registry-memory-limit --keep"],
};

export const downSpec: CommandSpec = {
  name: "lab:down",
  summary: "take the lab down; registry and etcd data stay unless --purge (safe to run twice)",
  flags: [
    ...LAB_FLAGS,
    { name: "purge", type: "boolean", description: "also delete the registry and etcd volumes and the namespace (asks first)" },
    { name: "yes", short: "y", type: "boolean", description: "do not ask before --purge" },
    { name: "delete-cluster", type: "boolean", description: "also delete the minikube profile (needs --purge: its data goes with it)" },
    DRY_RUN_FLAG,
    VERBOSE_FLAG,
  ],
  details: `Steps (lab/lifecycle/down.ts):\n${DOWN_STEP_LINES.map((l) => `  ${l.replaceAll("\n", "\n  ")}`).join("\n")}
The PersistentVolumeClaims (templates in the registry volume, etcd's data) stay unless --purge,
so the next lab:up finds them again.

The minikube node keeps running, and keeps holding its minikube.cpus CPUs and minikube.memory in
Docker Desktop, unless --delete-cluster (minikube stop -p PROFILE pauses it and keeps everything).
--purge also removes each volume's directory on the node (minikube's hostpath provisioner leaves it
after any minikube restart) and checks it is gone; on a stopped profile it deletes nothing and says
so (exit 1). With no minikube installed there is nothing to take down (exit 0).`,
  examples: ["npm run lab:down", "npm run lab:down -- --purge --yes", "npm run lab:down -- --delete-cluster --purge"],
};

export const doctorSpec: CommandSpec = {
  name: "lab:doctor",
  summary: "check this Mac for what the lab needs; each failure says how to fix it",
  flags: [...LAB_FLAGS, JSON_FLAG, VERBOSE_FLAG],
  details:
    "Checks: OS and CPU (Apple Silicon emulation), minikube, kubectl and docker present and new enough,\n" +
    "the Docker daemon running, CPU, memory and disk for the configured sizes, the lab's ports free on\n" +
    "127.0.0.1, /etc/hosts entries, sudo. Exits 1 when any check fails (a blocker for lab:up).",
  examples: ["npm run lab:doctor", "npm run lab:doctor -- --set minikube.memory=8Gi"],
};

export const renderSpec: CommandSpec = {
  name: "lab:render",
  summary: "write the lab's Kubernetes YAML for the current config",
  flags: [
    ...CONFIG_FLAGS,
    { name: "out", type: "string", value: "DIR", description: "where to write (default: manifests/)" },
    { name: "check", type: "boolean", description: "write nothing; exit 1 and print the diff if DIR is not what the code renders" },
  ],
  details:
    "Every object is validated against the Kubernetes OpenAPI schema, then checked against the HA\n" +
    "policy (no registry memory limit, odd etcd of 3+, shared ReadWriteMany volume, large-transfer\n" +
    "Ingress annotations). A violation refuses the render and writes nothing.\n" +
    "The committed manifests/ also works without this tool: kubectl apply -k manifests/",
  examples: ["npm run lab:render", "npm run lab:render -- --check", "npm run lab:render -- --set etcd.replicas=5 --out /tmp/lab"],
};
