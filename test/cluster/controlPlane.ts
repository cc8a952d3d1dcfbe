import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { api, type ApiServer } from "./api.js";
import { logTail, startComponent, stopComponent, type Component } from "./processes.js";
import { controlPlaneDir } from "./versions.js";

/**
 * Kubernetes' own components on loopback, for the control-plane test tier: etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler and kwok (simulated nodes and pod lifecycle), built by
 * `npm run cluster:build`. No kubelet, no container runtime: pods turn Ready through kwok's default
 * pod stages (sigs.k8s.io/kwok kustomize/stage/pod/fast), and nothing listens on pod or cluster IPs.
 */
export interface ControlPlane extends ApiServer {
  /** The folder with kubectl and the components. */
  readonly bin: string;
  /** A kubeconfig with one context, CONTEXT, for an admin (system:masters). */
  readonly kubeconfig: string;
  readonly dir: string;
  stop(): Promise<void>;
}

/** The kube context name the harness writes. */
export const CONTEXT = "alab-control-plane";
/** The annotation kwok manages nodes by (kwok --manage-nodes-with-annotation-selector). */
export const KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node";
/** Pods with this annotation =custom keep the status a test writes (kwok --disregard-status-with-annotation-selector). */
export const KWOK_STATUS_ANNOTATION = "kwok.x-k8s.io/status";

/** Whether the binaries are built; when not, what to run. */
export function controlPlaneBinaries(): { bin: string } | { missing: string } {
  const dir = controlPlaneDir();
  if (!existsSync(join(dir, "complete"))) return { missing: `the control-plane binaries are not built in ${dir}; run: npm run cluster:build (needs Go >= 1.25)` };
  return { bin: join(dir, "bin") };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function until<T>(what: string, components: Component[], deadlineMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  let last = "";
  for (;;) {
    const dead = components.find((c) => c.exited());
    if (dead) throw new Error(`${dead.exited()} while waiting for ${what}; its log ends:\n${logTail(dead)}`);
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${deadlineMs / 1000} s waiting for ${what}${last ? ` (last: ${last})` : ""}; logs in ${components[0]?.log.replace(/\/[^/]+$/, "")}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function writeKubeconfig(path: string, server: string, token: string): void {
  writeFileSync(
    path,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: CONTEXT, cluster: { server, "insecure-skip-tls-verify": true } }],
      users: [{ name: CONTEXT, user: { token } }],
      contexts: [{ name: CONTEXT, context: { cluster: CONTEXT, user: CONTEXT } }],
      "current-context": CONTEXT,
    }),
  );
}

/** Starts every component and waits until the API server is ready and a kwok node is Ready. */
export async function startControlPlane(bin: string): Promise<ControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), "alab-cp-"));
  const components: Component[] = [];
  const stop = async () => {
    for (const c of [...components].reverse()) await stopComponent(c);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    const token = randomBytes(24).toString("hex");
    writeFileSync(join(dir, "tokens.csv"), `${token},alab-admin,alab-admin,"system:masters"\n`);
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    writeFileSync(join(dir, "sa.key"), privateKey.export({ type: "pkcs8", format: "pem" }));
    writeFileSync(join(dir, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));
    mkdirSync(join(dir, "certs"));
    const server = `https://127.0.0.1:${apiPort}`;
    const kubeconfig = join(dir, "kubeconfig");
    writeKubeconfig(kubeconfig, server, token);
    const target = { server, token };

    // etcd at the version kube-apiserver v1.35 is built against (versions.ts); fsync off: a test cluster.
    components.push(
      startComponent("etcd", [
        join(bin, "etcd"), "--name=alab", `--data-dir=${join(dir, "etcd")}`,
        `--listen-client-urls=http://127.0.0.1:${etcdClient}`, `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=alab=http://127.0.0.1:${etcdPeer}`, "--log-level=warn", "--unsafe-no-fsync",
      ], join(dir, "etcd.log")),
    );
    // Flags as kube-apiserver --help lists them (k8s.io/kubernetes cmd/kube-apiserver/app/options):
    // a static token for an admin in system:masters, service-account keys for the token controller,
    // a self-signed serving certificate generated into --cert-dir.
    components.push(
      startComponent("kube-apiserver", [
        join(bin, "kube-apiserver"), `--etcd-servers=http://127.0.0.1:${etcdClient}`,
        "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", `--secure-port=${apiPort}`,
        `--cert-dir=${join(dir, "certs")}`, `--token-auth-file=${join(dir, "tokens.csv")}`, "--authorization-mode=RBAC",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${join(dir, "sa.pub")}`, `--service-account-signing-key-file=${join(dir, "sa.key")}`,
        "--service-cluster-ip-range=10.96.0.0/16", "--profiling=false",
      ], join(dir, "kube-apiserver.log")),
    );
    await until("kube-apiserver /readyz", components, 90_000, async () => ((await api(target, "GET", "/readyz")).status === 200 ? true : undefined));
    // --secure-port=0 serves nothing: the tests need neither component's metrics or health endpoints.
    components.push(
      startComponent("kube-controller-manager", [
        join(bin, "kube-controller-manager"), `--kubeconfig=${kubeconfig}`, "--leader-elect=false",
        "--bind-address=127.0.0.1", "--secure-port=0", `--service-account-private-key-file=${join(dir, "sa.key")}`,
        "--use-service-account-credentials=false",
        // On a loaded 2-core machine kwok's heartbeat can come late, and the node lifecycle
        // controller would taint the only node NotReady mid-test after its grace period (50 s by
        // default: kubernetes cmd/kube-controller-manager/app/options/nodelifecyclecontroller.go).
        // It stays on: it is what lifts the not-ready taint a new node is created with.
        "--node-monitor-grace-period=1h",
      ], join(dir, "kube-controller-manager.log")),
      startComponent("kube-scheduler", [
        join(bin, "kube-scheduler"), `--kubeconfig=${kubeconfig}`, "--leader-elect=false", "--bind-address=127.0.0.1", "--secure-port=0",
      ], join(dir, "kube-scheduler.log")),
      // kwok's own flags (sigs.k8s.io/kwok pkg/kwok/cmd/root.go): manage only annotated nodes; default
      // node and pod stages (no --config) make nodes and pods Ready.
      startComponent("kwok", [
        join(bin, "kwok"), `--kubeconfig=${kubeconfig}`, "--manage-all-nodes=false",
        `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`, "--cidr=10.244.0.1/16", "--node-ip=10.244.0.1",
        // A pod a test gives a kubelet-made status of its own (an OOMKilled restart, say) is left alone.
        `--disregard-status-with-annotation-selector=${KWOK_STATUS_ANNOTATION}=custom`,
      ], join(dir, "kwok.log"), { ...process.env, HOME: dir }),
    );
    await until("the default ServiceAccount (kube-controller-manager)", components, 60_000, async () =>
      (await api(target, "GET", "/api/v1/namespaces/default/serviceaccounts/default")).status === 200 ? true : undefined,
    );
    const controlPlane: ControlPlane = { ...target, bin, kubeconfig, dir, stop };
    await addNode(controlPlane, "alab-node");
    await until("the kwok node Ready", components, 60_000, async () => {
      const node = (await api(target, "GET", "/api/v1/nodes/alab-node")).body;
      return node?.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True") ? true : undefined;
    });
    return controlPlane;
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * A node labelled as minikube labels its node (minikube pkg/minikube/node/start.go applies
 * minikube.k8s.io/name and minikube.k8s.io/primary; kubelet adds kubernetes.io/hostname, os and arch).
 * Its allocatable is far larger than a minikube node's: every test of a file shares it, each with a
 * lab of its own in its own namespace, and none is torn down before the next starts.
 */
export async function addNode(target: ApiServer, name: string): Promise<void> {
  const result = await api(target, "POST", "/api/v1/nodes", {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      annotations: { [KWOK_NODE_ANNOTATION]: "fake", "node.alpha.kubernetes.io/ttl": "0" },
      labels: {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "arm64",
        "minikube.k8s.io/name": name,
        "minikube.k8s.io/primary": "true",
        "node-role.kubernetes.io/control-plane": "",
        type: "kwok",
      },
    },
    status: { allocatable: { cpu: "1000", memory: "4Ti", pods: "10000" }, capacity: { cpu: "1000", memory: "4Ti", pods: "10000" } },
  });
  if (result.status !== 201 && result.status !== 409) throw new Error(`creating node ${name}: HTTP ${result.status} ${JSON.stringify(result.body)}`);
}

/** The harness's kubeconfig, copied so a test's `kubectl config set-context` stays its own. */
export function copyKubeconfig(controlPlane: ControlPlane, to: string): string {
  writeFileSync(to, readFileSync(controlPlane.kubeconfig));
  return to;
}
