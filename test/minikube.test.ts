import { describe, expect, it } from "vitest";
import { colorEnabled } from "../lab/cli/color.js";
import { hostsBlock, withHostsBlock, withoutHostsBlock } from "../lab/hosts.js";
import { clusterState, profileDrift, startArgv } from "../lab/minikube/minikube.js";
import { appliedCount } from "../lab/steps/apply.js";
import { chooseRenderer } from "../lab/cli/tasks.js";
import { healthyMembers } from "../lab/kube/exec.js";
import { defaultConfig } from "./support/config.js";
import { FakeRunner } from "./support/fakeRunner.js";

/** `minikube status -o json` answers, per kubernetes/minikube cmd/minikube/cmd/status.go and https://minikube.sigs.k8s.io/docs/commands/status/. */
function statusRunner(exitCode: number, stdout: string): FakeRunner {
  const runner = new FakeRunner();
  runner.handle(() => ({ exitCode, stdout }));
  return runner;
}

describe("minikube status", () => {
  it.each([
    ["running, one node", 0, '{"Name":"anka-lab","Host":"Running","Kubelet":"Running","APIServer":"Running","Kubeconfig":"Configured","Worker":false}', "running"],
    ["stopped", 7, '{"Name":"anka-lab","Host":"Stopped","Kubelet":"Stopped","APIServer":"Stopped","Kubeconfig":"Stopped","Worker":false}', "stopped"],
    [
      "running, two nodes (an array)",
      0,
      '[{"Name":"anka-lab","Host":"Running","Kubelet":"Running","APIServer":"Running","Kubeconfig":"Configured","Worker":false},{"Name":"anka-lab-m02","Host":"Running","Kubelet":"Running","APIServer":"Irrelevant","Kubeconfig":"Irrelevant","Worker":true}]',
      "running",
    ],
    ["a missing profile", 85, '{"specversion":"1.0","type":"io.k8s.sigs.minikube.info","data":{"message":"Profile \\"anka-lab\\" not found."}}', "missing"],
    ["a profile whose node is gone", 7, "null", "broken"],
    ["a paused apiserver", 2, '{"Name":"anka-lab","Host":"Running","Kubelet":"Running","APIServer":"Paused","Kubeconfig":"Configured","Worker":false}', "broken"],
  ])("reads %s", async (_, exitCode, stdout, kind) => {
    expect((await clusterState(statusRunner(exitCode, stdout), "anka-lab")).kind).toBe(kind);
  });
});

describe("profile drift", () => {
  const config = defaultConfig();
  const matching = {
    Driver: "docker",
    CPUs: 4,
    Memory: 6144,
    ExposedPorts: ["127.0.0.1:8080:80"],
    KubernetesConfig: { KubernetesVersion: "v1.35.1", ContainerRuntime: "docker" },
  };
  it("finds none when the profile matches", () => expect(profileDrift(config, matching)).toEqual([]));
  it("names each difference", () => {
    expect(profileDrift(config, { ...matching, CPUs: 2, ExposedPorts: null, KubernetesConfig: { KubernetesVersion: "v1.34.0", ContainerRuntime: "containerd" } })).toEqual([
      "cpus: profile has 2, config wants 4",
      "kubernetes version: profile has v1.34.0, config wants v1.35.1",
      "container runtime: profile has containerd, config wants docker",
      "ingress port: profile publishes no ports, config wants 127.0.0.1:8080:80",
    ]);
  });
  it("starts with what the drift check compares", () => {
    expect(startArgv(config)).toEqual(expect.arrayContaining(["--cpus=4", "--memory=6144m", "--ports=127.0.0.1:8080:80", "--container-runtime=docker"]));
  });
});

describe("/etc/hosts block", () => {
  const names = ["anka.controller", "anka.registry"];
  it("adds one block, replaces it, and removes only it", () => {
    const original = "127.0.0.1 localhost\n::1 localhost\n";
    const once = withHostsBlock(original, "anka-lab", names);
    expect(once).toBe(original + hostsBlock("anka-lab", names));
    expect(withHostsBlock(once, "anka-lab", names)).toBe(once);
    expect(withHostsBlock(once, "anka-lab", ["x.y"])).toBe(original + hostsBlock("anka-lab", ["x.y"]));
    const other = withHostsBlock(once, "other", names);
    expect(withoutHostsBlock(other, "anka-lab")).toBe(original + hostsBlock("other", names));
    expect(withoutHostsBlock(original, "anka-lab")).toBe(original);
  });
  it("copes with a file that lacks a final newline", () => {
    expect(withHostsBlock("127.0.0.1 localhost", "p", names)).toBe("127.0.0.1 localhost\n" + hostsBlock("p", names));
  });
});

describe("tool output", () => {
  it("counts healthy etcd members in etcdctl's lines", () => {
    const out =
      "http://etcd-0.etcd-headless.anka.svc.cluster.local:2379 is healthy: successfully committed proposal: took = 2.1ms\n" +
      "http://etcd-1.etcd-headless.anka.svc.cluster.local:2379 is unhealthy: failed to commit proposal: context deadline exceeded\n";
    expect(healthyMembers(out)).toBe(1);
  });
  it("counts applied objects in kubectl's lines", () => {
    expect(appliedCount("namespace/anka serverside-applied\nstatefulset.apps/etcd serverside-applied\nWarning: something\n")).toBe(2);
  });
});

describe("output modes", () => {
  const tty = { isTTY: true } as NodeJS.WriteStream;
  const pipe = { isTTY: false } as NodeJS.WriteStream;
  it("colours only a terminal, never with NO_COLOR", () => {
    expect(colorEnabled(tty, {})).toBe(true);
    expect(colorEnabled(tty, { NO_COLOR: "1" })).toBe(false);
    expect(colorEnabled(pipe, {})).toBe(false);
  });
  it("shows the live task list only on a terminal outside CI", () => {
    expect(chooseRenderer(tty, {})).toBe("default");
    expect(chooseRenderer(tty, { CI: "true" })).toBe("simple");
    expect(chooseRenderer(pipe, {})).toBe("simple");
  });
});
