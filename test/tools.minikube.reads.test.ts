import { describe, expect, it } from "vitest";
import { clusterState, minikubeVersion, startArgv } from "../lab/tools/minikube.js";
import { defaultConfig } from "./support/config.js";
import { FakeCluster } from "./support/fakeCluster.js";

/** The minikube reads lab:doctor and lab:status call, against the played minikube (test/support/fakeCluster.ts). */
describe("minikube reads for the checks", () => {
  it("minikubeVersion: minikube version -o json", async () => {
    const cluster = new FakeCluster();
    expect(await minikubeVersion(cluster.runner)).toBe("v1.38.1");
    expect(cluster.runner.calls.map((c) => c.argv)).toEqual([["minikube", "version", "-o", "json"]]);
  });

  it("clusterState: minikube status -p P -o json, then docker info when status prints null", async () => {
    const cluster = new FakeCluster();
    expect(await clusterState(cluster.runner, "anka-lab")).toEqual({ kind: "missing" });
    await cluster.runner.run(startArgv(defaultConfig()));
    cluster.runner.calls.length = 0;
    expect(await clusterState(cluster.runner, "anka-lab")).toEqual({ kind: "running" });
    cluster.dockerRunning = false;
    expect((await clusterState(cluster.runner, "anka-lab")).kind).toBe("docker down");
    expect(cluster.runner.calls.map((c) => c.argv)).toEqual([
      ["minikube", "status", "-p", "anka-lab", "-o", "json"],
      ["minikube", "status", "-p", "anka-lab", "-o", "json"],
      ["docker", "info", "--format", "{{json .}}"],
    ]);
  });
});
