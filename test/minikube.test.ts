import { describe, expect, it } from "vitest";
import { hostsBlock, withHostsBlock, withoutHostsBlock } from "../lab/tools/hostsFile.js";
import { addonEnabled, clusterState, profileDrift, startArgv } from "../lab/tools/minikube.js";
import { FakeCluster } from "./support/fakeCluster.js";
import { CommandError, settle } from "../lab/exec/types.js";
import { appliedCount } from "../lab/lifecycle/steps/objects.js";
import { chooseRenderer } from "../lab/cli/tasks.js";
import { healthyMembers } from "../lab/tools/inPod.js";
import { defaultConfig } from "./support/config.js";
import { FakeRunner } from "./support/fakeRunner.js";

/**
 * `minikube status -o json` answers (minikube cmd/minikube/cmd/status.go statusJSON, exitCode;
 * pkg/minikube/mustload/mustload.go for a missing profile), and `docker info` up or down.
 */
function statusRunner(exitCode: number, stdout: string, dockerUp = true): FakeRunner {
  const runner = new FakeRunner();
  runner.handle((argv) =>
    argv[0] === "docker"
      ? dockerUp
        ? { stdout: '{"ServerVersion":"28.3.2","OperatingSystem":"Docker Desktop"}' }
        : { exitCode: 1, stdout: '{"ServerVersion":""}', stderr: "Cannot connect to the Docker daemon at unix:///Users/dev/.docker/run/docker.sock. Is the docker daemon running?\n" }
      : { exitCode, stdout },
  );
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
    [
      "a missing profile",
      85,
      '{"specversion":"1.0","id":"0b1f5a4e-3c55-4a57-9d0e-2f4f1f0f8c11","source":"https://minikube.sigs.k8s.io/","type":"io.k8s.sigs.minikube.info","datacontenttype":"application/json","data":{"message":"Profile \\"anka-lab\\" not found. Run \\"minikube profile list\\" to view all profiles."}}\n' +
        '{"specversion":"1.0","id":"5d0c2a8e-8a43-4d6f-a0a4-6e2a54f3f2b7","source":"https://minikube.sigs.k8s.io/","type":"io.k8s.sigs.minikube.info","datacontenttype":"application/json","data":{"message":"To start a cluster, run: \\"minikube start -p anka-lab\\""}}\n',
      "missing",
    ],
    ["a profile whose node is gone", 7, "null", "broken"],
    ["a paused apiserver", 2, '{"Name":"anka-lab","Host":"Running","Kubelet":"Running","APIServer":"Paused","Kubeconfig":"Configured","Worker":false}', "broken"],
  ])("reads %s", async (_, exitCode, stdout, kind) => {
    expect((await clusterState(statusRunner(exitCode, stdout), "anka-lab")).kind).toBe(kind);
  });

  it("reads addons list of a missing profile, which exits 0 with {} for every addon (C2), as not enabled", async () => {
    const cluster = new FakeCluster();
    const listed = await cluster.runner.run(["minikube", "addons", "list", "-p", "anka-lab", "-o", "json"]);
    expect(listed.exitCode).toBe(0);
    expect(JSON.parse(listed.stdout).ingress).toEqual({});
    expect(await addonEnabled(cluster.runner, "anka-lab", "ingress")).toBe(false);
  });

  it("names the docker-desktop cask when docker is missing, as the Brewfile and doctor do (C10)", () => {
    let error: unknown;
    try {
      settle({ argv: ["docker", "info"], exitCode: 127, stdout: "", stderr: "" }, {}, { missing: true });
    } catch (e) {
      error = e;
    }
    expect((error as CommandError).hint).toBe("install Docker Desktop with `brew install --cask docker-desktop` and start it");
  });

  it("tells Docker down from a gone node when status prints null with exit 7 (C7)", async () => {
    const state = await clusterState(statusRunner(7, "null", false), "anka-lab");
    expect(state).toEqual({ kind: "docker down", detail: "Docker is not running, so minikube cannot see the node: start Docker Desktop (open -a Docker)" });
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
  it("shows the live task list only on a terminal outside CI", () => {
    expect(chooseRenderer(tty, {})).toBe("default");
    expect(chooseRenderer(tty, { CI: "true" })).toBe("simple");
    expect(chooseRenderer(pipe, {})).toBe("simple");
  });
});
