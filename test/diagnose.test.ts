import type { IContainerStatus } from "kubernetes-models/v1/ContainerStatus";
import type { IEvent } from "kubernetes-models/v1/Event";
import type { IPodStatus } from "kubernetes-models/v1/PodStatus";
import { describe, expect, it } from "vitest";
import { diagnose, unreadyContainers, type PodsReading } from "../lab/diagnose.js";
import type { LiveObject } from "../lab/tools/kubectl.js";
import { defaultConfig } from "./support/config.js";

/**
 * Each likely cause of lab/diagnose.ts, found from a pod as the API server reports it: the pure
 * diagnosis, given typed pod objects, their events and log lines (reading them from a real API
 * server is test/diagnose.cluster.test.ts). The statuses are kubelet's real shapes (k8s.io/api core/v1
 * PodStatus and ContainerStatus, typed by kubernetes-models): waiting reasons and messages as kubelet
 * sets them (ErrImagePull, ImagePullBackOff, CrashLoopBackOff "back-off … restarting failed
 * container"), lastState.terminated for a container that died (OOMKilled, exit 137), the scheduler's
 * PodScheduled=False Unschedulable message ("0/1 nodes are available: …"), and core/v1 Events. Pull
 * errors are dockerd's ("Error response from daemon: …", the docker runtime the lab pins) and Docker
 * Hub's rate limit text (docs.docker.com/docker-hub/usage/); "exec format error" is what the kernel's
 * execve returns for a binary of another architecture, printed by the container runtime into the
 * container's log.
 */
const SELECTOR = "app.kubernetes.io/name=anka-build-cloud,app.kubernetes.io/part-of=anka-lab";
const IMAGE = "veertu/anka-build-cloud-controller:1.50.0";

function pod(status: IPodStatus): LiveObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "anka-build-cloud-5d8f7c9b6d-x2k4p", namespace: "anka", labels: { "app.kubernetes.io/name": "anka-build-cloud" } },
    spec: { containers: [{ name: "controller", image: IMAGE }] },
    status,
  };
}

/** A controller container's status; kubelet always reports its image, and imageID "" before a pull succeeded. */
const controller = (status: Omit<IContainerStatus, "name" | "image" | "imageID">): IContainerStatus => ({ name: "controller", image: IMAGE, imageID: "", ...status });

function notReady(containerStatuses: IContainerStatus[], phase: IPodStatus["phase"] = "Running"): LiveObject {
  return pod({
    phase,
    conditions: [
      { type: "Initialized", status: "True" },
      { type: "Ready", status: "False", reason: "ContainersNotReady", message: "containers with unready status: [controller]" },
      { type: "ContainersReady", status: "False", reason: "ContainersNotReady", message: "containers with unready status: [controller]" },
      { type: "PodScheduled", status: "True" },
    ],
    containerStatuses,
  });
}

function event(reason: string, message: string, type = "Warning"): IEvent {
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: `anka-build-cloud-5d8f7c9b6d-x2k4p.${reason.toLowerCase()}` },
    type,
    reason,
    message,
    involvedObject: { kind: "Pod", name: "anka-build-cloud-5d8f7c9b6d-x2k4p", namespace: "anka" },
  };
}

/** What reading the one pod found: its events, and the log lines of each container not ready. */
function diagnoseOne(p: LiveObject, options: { events?: IEvent[]; logs?: string[]; loadBalancerPending?: boolean } = {}) {
  const reading: PodsReading = {
    selector: SELECTOR,
    namespace: "anka",
    pods: [{ pod: p, events: options.events ?? [], logs: new Map(unreadyContainers(p).map((c) => [c, options.logs ?? []])) }],
  };
  return diagnose(defaultConfig(), reading, options.loadBalancerPending ?? false);
}

describe("the wait diagnosis finds each likely cause in a real-format pod status", () => {
  it("amd64 emulation: exec format error in the container's log", () => {
    const d = diagnoseOne(
      notReady([
        controller({
          ready: false,
          restartCount: 4,
          state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 1m20s restarting failed container=controller pod=anka-build-cloud-5d8f7c9b6d-x2k4p_anka(3f2a…)" } },
          lastState: { terminated: { exitCode: 255, reason: "Error", startedAt: "2026-11-25T14:00:00Z", finishedAt: "2026-11-25T14:00:00Z" } },
        }),
      ]),
      { logs: ["exec /usr/local/bin/anka-controller: exec format error"] },
    );
    expect(d.lines).toContain("  container controller: CrashLoopBackOff (back-off 1m20s restarting failed container=controller pod=anka-build-cloud-5d8f7c9b6d-x2k4p_anka(3f2a…)); last exit Error (code 255)");
    expect(d.causes).toEqual([expect.stringMatching(/^amd64 emulation: an amd64-only image ran on an arm64 node without emulation\. Turn on Rosetta/)]);
  });

  it("an amd64-only image index: no matching manifest for linux/arm64/v8", () => {
    const message =
      'Error response from daemon: no matching manifest for linux/arm64/v8 in the manifest list entries';
    const d = diagnoseOne(
      notReady([controller({ ready: false, restartCount: 0, state: { waiting: { reason: "ErrImagePull", message } } })], "Pending"),
      { events: [event("Failed", `Failed to pull image "veertu/anka-build-cloud-controller:1.50.0": ${message}`)] },
    );
    expect(d.causes[0]).toMatch(/^amd64-only image on an arm64 node: docker pull --platform linux\/amd64 IMAGE && minikube -p anka-lab image load IMAGE/);
  });

  it("a pull that Docker Hub rate-limits: ImagePullBackOff, toomanyrequests", () => {
    const d = diagnoseOne(
      notReady([controller({ ready: false, restartCount: 0, state: { waiting: { reason: "ImagePullBackOff", message: 'Back-off pulling image "veertu/anka-build-cloud-controller:1.50.0"' } } })], "Pending"),
      {
        events: [
          event(
            "Failed",
            'Failed to pull image "veertu/anka-build-cloud-controller:1.50.0": Error response from daemon: toomanyrequests: You have reached your unauthenticated pull rate limit. https://www.docker.com/increase-rate-limit',
          ),
          event("BackOff", 'Back-off pulling image "veertu/anka-build-cloud-controller:1.50.0"', "Normal"),
        ],
      },
    );
    expect(d.causes).toEqual([expect.stringMatching(/^image pull from Docker Hub failed \(rate limit, network or a wrong tag\)/)]);
  });

  it("a pending volume claim: Unschedulable on unbound immediate PersistentVolumeClaims, with the one-addon-per-call fix", () => {
    const message = "0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.";
    const d = diagnoseOne(pod({ phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message }] }), {
      events: [event("FailedScheduling", message)],
    });
    expect(d.lines).toContain(`  condition PodScheduled=False Unschedulable: ${message}`);
    expect(d.causes).toEqual([
      "pending volume claim: the StorageClass standard has no working provisioner. minikube -p anka-lab addons enable storage-provisioner && minikube -p anka-lab addons enable default-storageclass, or set registry.storageClass.",
    ]);
  });

  it("too little CPU on the node: Insufficient cpu", () => {
    const message = "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.";
    const d = diagnoseOne(pod({ phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message }] }));
    expect(d.causes).toEqual([expect.stringMatching(/^not enough CPU or memory on the node: raise minikube\.cpus/)]);
  });

  it("OOMKilled, seen in lastState while the container waits in CrashLoopBackOff", () => {
    const d = diagnoseOne(
      notReady([
        controller({
          ready: false,
          restartCount: 3,
          state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 40s restarting failed container=controller pod=anka-build-cloud-5d8f7c9b6d-x2k4p_anka(3f2a…)" } },
          lastState: { terminated: { exitCode: 137, reason: "OOMKilled", startedAt: "2026-11-25T14:00:00Z", finishedAt: "2026-11-25T14:01:00Z" } },
        }),
      ]),
    );
    expect(d.causes).toEqual([expect.stringMatching(/^a container was OOMKilled/)]);
  });

  it("a container that keeps crashing for a reason its log tells", () => {
    const d = diagnoseOne(
      notReady([
        controller({
          ready: false,
          restartCount: 6,
          state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 5m0s restarting failed container=controller pod=anka-build-cloud-5d8f7c9b6d-x2k4p_anka(3f2a…)" } },
          lastState: { terminated: { exitCode: 1, reason: "Error" } },
        }),
      ]),
      { logs: ['level=fatal msg="etcd: context deadline exceeded"'] },
    );
    expect(d.lines).toContain('    level=fatal msg="etcd: context deadline exceeded"');
    expect(d.causes).toEqual(["a container keeps crashing: its last log lines above say why."]);
  });

  it("the tunnel not running: LoadBalancers without an address", () => {
    const d = diagnoseOne(notReady([controller({ ready: true, restartCount: 0, state: { running: { startedAt: "2026-11-25T14:00:00Z" } } })]), {
      loadBalancerPending: true,
    });
    expect(d.causes).toEqual([expect.stringMatching(/^tunnel not running: LoadBalancers get no address without minikube tunnel/)]);
  });
});

describe("what the diagnosis says besides the causes", () => {
  const config = defaultConfig();
  it("names the selector and namespace when no pod matches, and the error when pods could not be listed", () => {
    expect(diagnose(config, { selector: SELECTOR, namespace: "anka", pods: [] })).toEqual({ lines: [`no pods match ${SELECTOR} in namespace anka`], causes: [] });
    expect(diagnose(config, { selector: SELECTOR, namespace: "anka", pods: [], listError: "failed: kubectl --context anka-lab get pods" }).lines).toEqual([
      `could not list pods (${SELECTOR}): failed: kubectl --context anka-lab get pods`,
    ]);
  });

  it("shows a pod's last five events, and says so when its events could not be read", () => {
    const p = notReady([controller({ ready: false, restartCount: 0, state: { waiting: { reason: "ContainerCreating" } } })], "Pending");
    const events = [1, 2, 3, 4, 5, 6].map((i) => event(`Reason${i}`, `message ${i}`, "Normal"));
    const lines = diagnoseOne(p, { events }).lines.filter((l) => l.startsWith("  event "));
    expect(lines).toEqual([2, 3, 4, 5, 6].map((i) => `  event Normal Reason${i}: message ${i}`));
    const unread = diagnose(config, { selector: SELECTOR, namespace: "anka", pods: [{ pod: p, events: { error: "failed: kubectl get events" }, logs: new Map() }] });
    expect(unread.lines).toContain("  events could not be read: failed: kubectl get events");
  });

  it("reads the logs of the containers that are not ready, and only theirs", () => {
    const p = pod({
      phase: "Running",
      containerStatuses: [
        controller({ ready: false, restartCount: 1, state: { waiting: { reason: "CrashLoopBackOff" } } }),
        { name: "registry", image: "veertu/anka-build-cloud-registry:1.50.0", imageID: "docker-pullable://veertu/anka-build-cloud-registry@sha256:0f", ready: true, restartCount: 0 },
      ],
    });
    expect(unreadyContainers(p)).toEqual(["controller"]);
    expect(diagnoseOne(p, { logs: ["panic: etcd unreachable"] }).lines.slice(-2)).toEqual(["  last log lines of controller:", "    panic: etcd unreachable"]);
  });
});
