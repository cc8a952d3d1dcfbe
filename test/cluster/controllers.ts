import { api, type ApiServer } from "./api.js";

/** A loop the harness runs in place of a controller the test cluster lacks; stop() ends it. */
export interface Loop {
  stop(): Promise<void>;
  /** Errors the last round met, for a failing test's message. */
  readonly lastError: () => string | undefined;
}

function loop(intervalMs: number, round: () => Promise<void>): Loop {
  let stopped = false;
  let lastError: string | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = async () => {
    if (stopped) return;
    running = round().then(
      () => {
        lastError = undefined;
      },
      (error: Error) => {
        lastError = error.message;
      },
    );
    await running;
    if (!stopped) timer = setTimeout(tick, intervalMs);
  };
  let timer = setTimeout(tick, 0);
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
    lastError: () => lastError,
  };
}

/** minikube's StorageClass (minikube deploy/addons/storageclass/storageclass.yaml). */
export const MINIKUBE_STORAGE_CLASS = {
  apiVersion: "storage.k8s.io/v1",
  kind: "StorageClass",
  metadata: { name: "standard", annotations: { "storageclass.kubernetes.io/is-default-class": "true" }, labels: { "addonmanager.kubernetes.io/mode": "EnsureExists" } },
  provisioner: "k8s.io/minikube-hostpath",
} as const;

export async function ensureStorageClass(target: ApiServer): Promise<void> {
  const result = await api(target, "POST", "/apis/storage.k8s.io/v1/storageclasses", MINIKUBE_STORAGE_CLASS);
  if (result.status !== 201 && result.status !== 409) throw new Error(`StorageClass standard: HTTP ${result.status}`);
}

/**
 * Provisions a PersistentVolume for every pending claim of StorageClass `standard`, as minikube's
 * storage-provisioner does (minikube pkg/storage/storage_provisioner.go: a hostPath volume at
 * /tmp/hostpath-provisioner/<namespace>/<claim>, annotated with the provisioner's identity), so
 * kube-controller-manager's volume binder binds them and the scheduler can place the pods. Nothing is
 * written on this machine: without a kubelet, the hostPath is only a name.
 */
export function startVolumeProvisioner(target: ApiServer, hold: (namespace: string) => boolean = () => false, intervalMs = 250): Loop {
  return loop(intervalMs, async () => {
    const claims = (await api(target, "GET", "/api/v1/persistentvolumeclaims")).body?.items ?? [];
    for (const claim of claims) {
      if (claim.status?.phase !== "Pending" || claim.spec.volumeName || claim.spec.storageClassName !== "standard") continue;
      // A test can hold a namespace's claims Pending, as a provisioner that cannot provision would.
      if (hold(claim.metadata.namespace)) continue;
      const { namespace, name, uid } = claim.metadata;
      const created = await api(target, "POST", "/api/v1/persistentvolumes", {
        apiVersion: "v1",
        kind: "PersistentVolume",
        metadata: { name: `pvc-${uid}`, annotations: { "hostPathProvisionerIdentity": "alab-harness", "pv.kubernetes.io/provisioned-by": "k8s.io/minikube-hostpath" } },
        spec: {
          capacity: { storage: claim.spec.resources.requests.storage },
          accessModes: claim.spec.accessModes,
          persistentVolumeReclaimPolicy: "Delete",
          storageClassName: "standard",
          claimRef: { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace, name, uid },
          hostPath: { path: `/tmp/hostpath-provisioner/${namespace}/${name}` },
        },
      });
      if (created.status !== 201 && created.status !== 409) throw new Error(`PV for ${namespace}/${name}: HTTP ${created.status} ${JSON.stringify(created.body?.message)}`);
    }
  });
}

/**
 * Sets every LoadBalancer Service's address as minikube tunnel does on the docker driver: it patches
 * the Service's status to ingress IP 127.0.0.1 (minikube pkg/minikube/tunnel/kic/ssh_tunnel.go;
 * minikube polls every second, the harness more often to keep tests short). `active` says whether
 * the tunnel is up right now.
 */
export function startLoadBalancerPublisher(target: ApiServer, active: () => boolean = () => true, intervalMs = 250): Loop {
  return loop(intervalMs, async () => {
    if (!active()) return;
    const services = (await api(target, "GET", "/api/v1/services")).body?.items ?? [];
    for (const service of services) {
      if (service.spec.type !== "LoadBalancer" || service.status?.loadBalancer?.ingress?.length) continue;
      // The tunnel may have stopped (and cleared the addresses) since this round began: a stopped
      // tunnel publishes nothing, as minikube's stops its loop before its cleanup.
      if (!active()) return;
      const { namespace, name, resourceVersion } = service.metadata;
      // Conditional on the version read: a cleanup that changed the Service since gets no stale
      // address back. A merge patch carrying metadata.resourceVersion is refused with 409 Conflict
      // when it differs (kubernetes-sigs/controller-runtime pkg/client/patch.go, MergeFromWithOptimisticLock).
      const patched = await api(
        target,
        "PATCH",
        `/api/v1/namespaces/${namespace}/services/${name}/status`,
        { metadata: { resourceVersion }, status: { loadBalancer: { ingress: [{ ip: "127.0.0.1" }] } } },
        "application/merge-patch+json",
      );
      if (patched.status !== 200 && patched.status !== 404 && patched.status !== 409) throw new Error(`status of service ${namespace}/${name}: HTTP ${patched.status}`);
    }
  });
}
