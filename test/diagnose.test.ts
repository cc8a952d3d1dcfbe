import { describe, expect, it } from "vitest";
import { diagnosePods } from "../lab/diagnose.js";
import { defaultConfig } from "./support/config.js";
import { FakeRunner } from "./support/fakeRunner.js";
import { testContext } from "./support/context.js";

/**
 * Each likely cause of lab/diagnose.ts, found from a pod as the API server reports it. The statuses
 * are kubelet's real shapes (k8s.io/api core/v1 PodStatus and ContainerStatus): waiting reasons and
 * messages as kubelet sets them (ErrImagePull, ImagePullBackOff, CrashLoopBackOff "back-off … restarting
 * failed container"), lastState.terminated for a container that died (OOMKilled, exit 137), the
 * scheduler's PodScheduled=False Unschedulable message ("0/1 nodes are available: …"), and events
 * as `kubectl get events -o json` lists them. Pull errors are dockerd's ("Error response from daemon:
 * …", the docker runtime the lab pins) and Docker Hub's rate limit text (docs.docker.com/docker-hub/
 * usage/); "exec format error" is what the kernel's execve returns for a binary of another
 * architecture, printed by the container runtime into the container's log.
 */
const SELECTOR = "app.kubernetes.io/name=anka-build-cloud,app.kubernetes.io/part-of=anka-lab";

function pod(status: object): object {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "anka-build-cloud-5d8f7c9b6d-x2k4p", namespace: "anka", labels: { "app.kubernetes.io/name": "anka-build-cloud" } },
    spec: { containers: [{ name: "controller", image: "veertu/anka-build-cloud-controller:1.50.0" }] },
    status,
  };
}

function notReady(containerStatuses: object[], phase = "Running"): object {
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

function event(reason: string, message: string, type = "Warning"): object {
  return { apiVersion: "v1", kind: "Event", type, reason, message, involvedObject: { kind: "Pod", name: "anka-build-cloud-5d8f7c9b6d-x2k4p", namespace: "anka" } };
}

async function diagnose(p: object, options: { events?: object[]; logs?: string; loadBalancerPending?: boolean } = {}) {
  const runner = new FakeRunner();
  const list = (items: object[]) => ({ stdout: JSON.stringify({ apiVersion: "v1", kind: "List", items, metadata: { resourceVersion: "" } }) });
  runner.handle((argv) => {
    if (argv.includes("pods") && argv.includes(SELECTOR)) return list([p]);
    if (argv.includes("events")) return list(options.events ?? []);
    if (argv.includes("logs")) return { stdout: options.logs ?? "" };
    return undefined;
  });
  const ctx = testContext(defaultConfig(), runner, { waits: { timeoutMs: 100, intervalMs: 10 } });
  return diagnosePods(ctx, SELECTOR, { loadBalancerPending: options.loadBalancerPending ?? false });
}

describe("the wait diagnosis finds each likely cause in a real-format pod status", () => {
  it("amd64 emulation: exec format error in the container's log", async () => {
    const d = await diagnose(
      notReady([
        {
          name: "controller",
          ready: false,
          restartCount: 4,
          state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 1m20s restarting failed container=controller pod=anka-build-cloud-5d8f7c9b6d-x2k4p_anka(3f2a…)" } },
          lastState: { terminated: { exitCode: 255, reason: "Error", startedAt: "2026-11-25T14:00:00Z", finishedAt: "2026-11-25T14:00:00Z" } },
        },
      ]),
      { logs: "exec /usr/local/bin/anka-controller: exec format error\n" },
    );
    expect(d.lines).toContain("  container controller: CrashLoopBackOff (back-off 1m20s restarting failed container=controller pod=anka-build-cloud-5d8f7c9b6d-x2k4p_anka(3f2a…)); last exit Error (code 255)");
    expect(d.causes).toEqual([expect.stringMatching(/^amd64 emulation: an amd64-only image ran on an arm64 node without emulation\. Turn on Rosetta/)]);
  });

  it("an amd64-only image index: no matching manifest for linux/arm64/v8", async () => {
    const message =
      'Error response from daemon: no matching manifest for linux/arm64/v8 in the manifest list entries';
    const d = await diagnose(
      notReady([{ name: "controller", ready: false, restartCount: 0, state: { waiting: { reason: "ErrImagePull", message } } }], "Pending"),
      { events: [event("Failed", `Failed to pull image "veertu/anka-build-cloud-controller:1.50.0": ${message}`)] },
    );
    expect(d.causes[0]).toMatch(/^amd64-only image on an arm64 node: docker pull --platform linux\/amd64 IMAGE && minikube -p anka-lab image load IMAGE/);
  });

  it("a pull that Docker Hub rate-limits: ImagePullBackOff, toomanyrequests", async () => {
    const d = await diagnose(
      notReady([{ name: "controller", ready: false, restartCount: 0, state: { waiting: { reason: "ImagePullBackOff", message: 'Back-off pulling image "veertu/anka-build-cloud-controller:1.50.0"' } } }], "Pending"),
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

  it("a pending volume claim: Unschedulable on unbound immediate PersistentVolumeClaims, with the one-addon-per-call fix", async () => {
    const message = "0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.";
    const d = await diagnose(pod({ phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message }] }), {
      events: [event("FailedScheduling", message)],
    });
    expect(d.lines).toContain(`  condition PodScheduled=False Unschedulable: ${message}`);
    expect(d.causes).toEqual([
      "pending volume claim: the StorageClass standard has no working provisioner. minikube -p anka-lab addons enable storage-provisioner && minikube -p anka-lab addons enable default-storageclass, or set registry.storageClass.",
    ]);
  });

  it("too little CPU on the node: Insufficient cpu", async () => {
    const message = "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.";
    const d = await diagnose(pod({ phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message }] }));
    expect(d.causes).toEqual([expect.stringMatching(/^not enough CPU or memory on the node: raise minikube\.cpus/)]);
  });

  it("OOMKilled, seen in lastState while the container waits in CrashLoopBackOff", async () => {
    const d = await diagnose(
      notReady([
        {
          name: "controller",
          ready: false,
          restartCount: 3,
          state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 40s restarting failed container=controller pod=anka-build-cloud-5d8f7c9b6d-x2k4p_anka(3f2a…)" } },
          lastState: { terminated: { exitCode: 137, reason: "OOMKilled", startedAt: "2026-11-25T14:00:00Z", finishedAt: "2026-11-25T14:01:00Z" } },
        },
      ]),
    );
    expect(d.causes).toEqual([expect.stringMatching(/^a container was OOMKilled/)]);
  });

  it("a container that keeps crashing for a reason its log tells", async () => {
    const d = await diagnose(
      notReady([
        {
          name: "controller",
          ready: false,
          restartCount: 6,
          state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 5m0s restarting failed container=controller pod=anka-build-cloud-5d8f7c9b6d-x2k4p_anka(3f2a…)" } },
          lastState: { terminated: { exitCode: 1, reason: "Error" } },
        },
      ]),
      { logs: "level=fatal msg=\"etcd: context deadline exceeded\"\n" },
    );
    expect(d.lines).toContain('    level=fatal msg="etcd: context deadline exceeded"');
    expect(d.causes).toEqual(["a container keeps crashing: its last log lines above say why."]);
  });

  it("the tunnel not running: LoadBalancers without an address", async () => {
    const d = await diagnose(notReady([{ name: "controller", ready: true, restartCount: 0, state: { running: { startedAt: "2026-11-25T14:00:00Z" } } }]), {
      loadBalancerPending: true,
    });
    expect(d.causes).toEqual([expect.stringMatching(/^tunnel not running: LoadBalancers get no address without minikube tunnel/)]);
  });
});
