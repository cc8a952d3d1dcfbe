import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getDeployment, getStatefulSet, kubectlClientVersion, kubectlVersions, listPodsIn, podEvents, podLogTail } from "../lab/tools/kubectl.js";
import type { LabContext } from "../lab/context.js";
import { api } from "./cluster/api.js";
import { CONTEXT } from "./cluster/controlPlane.js";
import { controlPlaneAvailable, missingContext, namespacedLab, testKubeconfig, useControlPlane } from "./cluster/fixture.js";
import type { FakeRunner } from "./support/fakeRunner.js";
import type { InPodCommands } from "./support/inPod.js";

/**
 * The kubectl reads lab/checks and lab/diagnose.ts call (some shared with lab/lifecycle), each
 * with its exact argv, answered by the real kubectl against the control-plane tier (logs by the
 * in-pod model, test/support/inPod.ts).
 */
const available = controlPlaneAvailable("test/tools.kubectl.reads.cluster.test.ts");

describe.skipIf(!available)("kubectl reads for the checks and the diagnosis", () => {
  const controlPlane = useControlPlane();
  let namespace: string;
  let runner: FakeRunner;
  let inPod: InPodCommands;
  let ctx: LabContext;
  const create = async (path: string, body: object) => {
    const created = await api(controlPlane(), "POST", path, body);
    if (created.status !== 201) throw new Error(`POST ${path}: HTTP ${created.status} ${JSON.stringify(created.body)}`);
  };
  const pod = (name: string, labels: Record<string, string>) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels },
    spec: { containers: [{ name: "app", image: "registry.k8s.io/pause:3.10" }] },
  });
  // A core/v1 Event as kubelet records one (k8s.io/api core/v1 types.go Event; kubelet's BackOff reason, pkg/kubelet/events/event.go).
  const event = (name: string, pod: string, reason: string, message: string) => ({
    apiVersion: "v1",
    kind: "Event",
    metadata: { name },
    involvedObject: { kind: "Pod", name: pod, namespace, apiVersion: "v1" },
    reason,
    message,
    type: "Warning",
    source: { component: "kubelet" },
  });

  beforeAll(async () => {
    testKubeconfig(controlPlane());
  });
  beforeEach(async () => {
    ({ namespace, runner, inPod, ctx } = await namespacedLab(controlPlane()));
  });

  it("listPodsIn: get pods -n NS -l SELECTOR -o json, only the matching pods", async () => {
    await create(`/api/v1/namespaces/${namespace}/pods`, pod("web-0", { app: "web" }));
    await create(`/api/v1/namespaces/${namespace}/pods`, pod("other-0", { app: "other" }));
    const pods = await listPodsIn(ctx, namespace, "app=web");
    expect(runner.calls.map((c) => c.argv)).toEqual([["kubectl", "--context", CONTEXT, "get", "pods", "-n", namespace, "-l", "app=web", "-o", "json"]]);
    expect(pods.map((p) => p.metadata.name)).toEqual(["web-0"]);
    // Another namespace: nothing there.
    expect(await listPodsIn(ctx, "default", "app=web")).toEqual([]);
    expect(runner.calls[1]!.argv).toEqual(["kubectl", "--context", CONTEXT, "get", "pods", "-n", "default", "-l", "app=web", "-o", "json"]);
  });

  it("getDeployment, getStatefulSet: get <kind> NAME -n NS -o json, undefined when there is none", async () => {
    await create(`/apis/apps/v1/namespaces/${namespace}/deployments`, {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web" },
      spec: { replicas: 0, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: pod("x", {}).spec } },
    });
    expect((await getDeployment(ctx, "web"))?.metadata.name).toBe("web");
    expect(await getStatefulSet(ctx, "etcd")).toBeUndefined();
    expect(runner.calls.map((c) => c.argv)).toEqual([
      ["kubectl", "--context", CONTEXT, "get", "deployment", "web", "-n", namespace, "-o", "json"],
      ["kubectl", "--context", CONTEXT, "get", "statefulset", "etcd", "-n", namespace, "-o", "json"],
    ]);
  });

  it("podEvents: get events -n NS --field-selector involvedObject.name=POD -o json, that pod's only", async () => {
    await create(`/api/v1/namespaces/${namespace}/pods`, pod("web-0", { app: "web" }));
    await create(`/api/v1/namespaces/${namespace}/events`, event("web-0.1", "web-0", "BackOff", "Back-off restarting failed container app in pod web-0"));
    await create(`/api/v1/namespaces/${namespace}/events`, event("web-1.1", "web-1", "Failed", "not this pod's"));
    const events = await podEvents(ctx, namespace, "web-0");
    expect(runner.calls.map((c) => c.argv)).toEqual([
      ["kubectl", "--context", CONTEXT, "get", "events", "-n", namespace, "--field-selector", "involvedObject.name=web-0", "-o", "json"],
    ]);
    // The scheduler adds its own Scheduled event once it binds the pod; the other pod's never shows.
    expect(events).toContainEqual(expect.objectContaining({ type: "Warning", reason: "BackOff", message: "Back-off restarting failed container app in pod web-0" }));
    expect(events.map((e) => e.message)).not.toContain("not this pod's");
  });

  it("podLogTail: logs -n NS POD -c CONTAINER --tail=N, its lines; kubectl's complaint when it cannot", async () => {
    await create(`/api/v1/namespaces/${namespace}/pods`, pod("web-0", { app: "web" }));
    inPod.log = "starting\nexec /usr/local/bin/anka-controller: exec format error";
    expect(await podLogTail(ctx, namespace, "web-0", "app")).toEqual(["starting", "exec /usr/local/bin/anka-controller: exec format error"]);
    expect(await podLogTail(ctx, namespace, "gone-0", "app", 5)).toEqual(['Error from server (NotFound): pods "gone-0" not found']);
    expect(runner.calls.map((c) => c.argv)).toEqual([
      ["kubectl", "--context", CONTEXT, "logs", "-n", namespace, "web-0", "-c", "app", "--tail=10"],
      ["kubectl", "--context", CONTEXT, "logs", "-n", namespace, "gone-0", "-c", "app", "--tail=5"],
    ]);
  });

  it("kubectlClientVersion: version --client -o json, naming no context", async () => {
    expect(await kubectlClientVersion(runner)).toMatch(/^v1\.35\.\d+$/);
    expect(runner.calls.map((c) => c.argv)).toEqual([["kubectl", "version", "--client", "-o", "json"]]);
  });

  it("kubectlVersions: --context C version -o json, the server's too; neither when the context does not exist", async () => {
    const versions = await kubectlVersions(ctx);
    expect(versions).toMatchObject({ client: expect.stringMatching(/^v1\.35\./), server: expect.stringMatching(/^v1\.35\./), exitCode: 0 });
    const none = missingContext(runner);
    expect(await kubectlVersions(none)).toEqual({ client: undefined, server: undefined, exitCode: 1, stderr: 'error: context "alab-no-such-context" does not exist\n' });
    expect(runner.calls.map((c) => c.argv)).toEqual([
      ["kubectl", "--context", CONTEXT, "version", "-o", "json"],
      ["kubectl", "--context", "alab-no-such-context", "version", "-o", "json"],
    ]);
  });
});
