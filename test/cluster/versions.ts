import { homedir } from "node:os";
import { join } from "node:path";

/**
 * The control-plane tier's pinned components. Kubernetes is at the minor of the lab's pinned
 * minikube.kubernetesVersion (v1.35); v1.35.4 is the newest v1.35 patch of k8s.io/kubernetes the Go
 * module proxy serves (`go list -m -versions k8s.io/kubernetes`). etcd is the version
 * k8s.io/kubernetes v1.35.4's go.mod requires (go.etcd.io/etcd/server/v3 v3.6.5), so the API server
 * runs on the etcd it is tested with; Debian's etcd 3.4 is older than that.
 * kwok v0.7.0 simulates nodes and pod lifecycle (sigs.k8s.io/kwok).
 */
export const CONTROL_PLANE = {
  kubernetes: "v1.35.4",
  etcd: "v3.6.5",
  kwok: "v0.7.0",
} as const;

/** The version-keyed cache folder; ANKA_LAB_CONTROL_PLANE_CACHE moves its root. */
export function controlPlaneDir(): string {
  const root = process.env.ANKA_LAB_CONTROL_PLANE_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "anka-lab", "control-plane");
  const { kubernetes, etcd, kwok } = CONTROL_PLANE;
  return join(root, `k8s-${kubernetes}_etcd-${etcd}_kwok-${kwok}`);
}
