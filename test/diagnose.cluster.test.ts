import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { diagnosePods } from "../lab/diagnose.js";
import type { LabContext } from "../lab/context.js";
import { notYet, ready, waitFor } from "../lab/wait.js";
import { api } from "./cluster/api.js";
import { CONTEXT, KWOK_STATUS_ANNOTATION } from "./cluster/controlPlane.js";
import { controlPlaneAvailable, missingContext, namespacedLab, testKubeconfig, useControlPlane } from "./cluster/fixture.js";
import type { FakeRunner } from "./support/fakeRunner.js";
import type { InPodCommands } from "./support/inPod.js";

/**
 * The wait diagnosis reading real pod objects: pods, their events and statuses as a real
 * kube-apiserver stores and lists them, through the real kubectl; container logs from the in-pod
 * model (test/support/inPod.ts). A status kubelet would write (no kubelet here) is written through
 * the pod's status subresource, which kwok then leaves alone (KWOK_STATUS_ANNOTATION); the
 * unschedulable pod's condition and event are the real scheduler's. The pure logic, one likely
 * cause at a time, is test/diagnose.test.ts.
 */
const available = controlPlaneAvailable("test/diagnose.cluster.test.ts");
const SELECTOR = "app.kubernetes.io/name=anka-build-cloud,app.kubernetes.io/part-of=anka-lab";
const LABELS = { "app.kubernetes.io/name": "anka-build-cloud", "app.kubernetes.io/part-of": "anka-lab" };

describe.skipIf(!available)("the wait diagnosis, reading a real API server", () => {
  const controlPlane = useControlPlane();
  let namespace: string;
  let runner: FakeRunner;
  let inPod: InPodCommands;
  let ctx: LabContext;
  const call = async (method: string, path: string, body: object, contentType?: string) => {
    const answer = await api(controlPlane(), method, path, body, contentType);
    if (answer.status >= 300) throw new Error(`${method} ${path}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  const containers = [
    { name: "controller", image: "veertu/anka-build-cloud-controller:1.50.0" },
    { name: "registry", image: "veertu/anka-build-cloud-registry:1.50.0" },
  ];

  beforeAll(() => {
    testKubeconfig(controlPlane());
  });
  beforeEach(async () => {
    ({ namespace, runner, inPod, ctx } = await namespacedLab(controlPlane()));
  });

  it("a crash-looping container: its state, last exit, the pod's own events and the failing container's log", async () => {
    const name = "anka-build-cloud-5d8f7c9b6d-x2k4p";
    // Placed on the kwok node directly (spec.nodeName), its status left to this test.
    await call("POST", `/api/v1/namespaces/${namespace}/pods`, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, labels: LABELS, annotations: { [KWOK_STATUS_ANNOTATION]: "custom" } },
      spec: { nodeName: "alab-node", containers },
    });
    // What kubelet reports for a container that dies at once and one that runs (k8s.io/api core/v1 PodStatus).
    await call(
      "PATCH",
      `/api/v1/namespaces/${namespace}/pods/${name}/status`,
      {
        status: {
          phase: "Running",
          conditions: [
            { type: "Initialized", status: "True" },
            { type: "Ready", status: "False", reason: "ContainersNotReady", message: "containers with unready status: [controller]" },
            { type: "ContainersReady", status: "False", reason: "ContainersNotReady", message: "containers with unready status: [controller]" },
            { type: "PodScheduled", status: "True" },
          ],
          containerStatuses: [
            {
              name: "controller",
              image: containers[0]!.image,
              imageID: "docker-pullable://veertu/anka-build-cloud-controller@sha256:3f2a",
              ready: false,
              restartCount: 4,
              state: { waiting: { reason: "CrashLoopBackOff", message: `back-off 1m20s restarting failed container=controller pod=${name}_${namespace}(3f2a)` } },
              lastState: { terminated: { exitCode: 255, reason: "Error", startedAt: "2026-11-25T14:00:00Z", finishedAt: "2026-11-25T14:00:00Z" } },
            },
            {
              name: "registry",
              image: containers[1]!.image,
              imageID: "docker-pullable://veertu/anka-build-cloud-registry@sha256:0f1e",
              ready: true,
              restartCount: 0,
              state: { running: { startedAt: "2026-11-25T14:00:00Z" } },
            },
          ],
        },
      },
      "application/merge-patch+json",
    );
    // kubelet's BackOff event for this pod (pkg/kubelet/events/event.go BackOffStartContainer), and one for another pod.
    const event = (eventName: string, pod: string, message: string) => ({
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: eventName },
      involvedObject: { kind: "Pod", name: pod, namespace, apiVersion: "v1", fieldPath: "spec.containers{controller}" },
      reason: "BackOff",
      message,
      type: "Warning",
      source: { component: "kubelet", host: "alab-node" },
    });
    await call("POST", `/api/v1/namespaces/${namespace}/events`, event(`${name}.1`, name, "Back-off restarting failed container controller in pod " + name));
    await call("POST", `/api/v1/namespaces/${namespace}/events`, event("other-pod.1", "other-pod", "not this pod's"));
    inPod.log = "exec /usr/local/bin/anka-controller: exec format error";

    const d = await diagnosePods(ctx, SELECTOR);
    expect(d.lines).toEqual([
      `pod ${name}: Running, not ready, 4 restart(s)`,
      "  condition Ready=False ContainersNotReady: containers with unready status: [controller]",
      "  condition ContainersReady=False ContainersNotReady: containers with unready status: [controller]",
      `  container controller: CrashLoopBackOff (back-off 1m20s restarting failed container=controller pod=${name}_${namespace}(3f2a)); last exit Error (code 255)`,
      `  event Warning BackOff: Back-off restarting failed container controller in pod ${name}`,
      "  last log lines of controller:",
      "    exec /usr/local/bin/anka-controller: exec format error",
    ]);
    expect(d.causes).toEqual([expect.stringMatching(/^amd64 emulation: an amd64-only image ran on an arm64 node without emulation\. Turn on Rosetta/)]);
    // Logs of the failing container only.
    expect(runner.calls.filter((c) => c.argv.includes("logs")).map((c) => c.argv)).toEqual([
      ["kubectl", "--context", CONTEXT, "logs", "-n", namespace, name, "-c", "controller", "--tail=10"],
    ]);
  });

  it("a pod the real scheduler cannot place: its Unschedulable condition and FailedScheduling event say Insufficient cpu", async () => {
    const name = "anka-build-cloud-5d8f7c9b6d-big";
    // Twice the kwok node's 1000 CPUs (test/cluster/controlPlane.ts addNode).
    await call("POST", `/api/v1/namespaces/${namespace}/pods`, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, labels: LABELS },
      spec: { containers: [{ ...containers[0], resources: { requests: { cpu: "2000" } } }] },
    });
    await waitFor(
      "the scheduler to give up on the pod",
      async () => {
        const pod = await call("GET", `/api/v1/namespaces/${namespace}/pods/${name}`, {});
        return pod.status?.conditions?.some((c: any) => c.type === "PodScheduled" && c.status === "False") ? ready(true) : notYet("not tried yet");
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const d = await diagnosePods(ctx, SELECTOR);
    expect(d.lines[0]).toBe(`pod ${name}: Pending, not ready, 0 restart(s)`);
    expect(d.lines[1]).toMatch(/^ {2}condition PodScheduled=False Unschedulable: 0\/1 nodes are available: 1 Insufficient cpu\./);
    expect(d.lines).toContainEqual(expect.stringMatching(/^ {2}event Warning FailedScheduling: 0\/1 nodes are available: 1 Insufficient cpu\./));
    expect(d.causes).toEqual([expect.stringMatching(/^not enough CPU or memory on the node: raise minikube\.cpus/)]);
    // No container has a status yet: no logs asked for.
    expect(runner.calls.filter((c) => c.argv.includes("logs"))).toEqual([]);
  });

  it("says no pod matches, naming the selector and namespace", async () => {
    expect(await diagnosePods(ctx, SELECTOR)).toEqual({ lines: [`no pods match ${SELECTOR} in namespace ${namespace}`], causes: [] });
  });

  it("says why the pods could not be listed when the context does not answer", async () => {
    const none = missingContext(runner);
    expect((await diagnosePods(none, SELECTOR)).lines).toEqual([
      `could not list pods (${SELECTOR}): failed: kubectl --context alab-no-such-context get pods -n anka -l ${SELECTOR} -o json`,
    ]);
  });
});
