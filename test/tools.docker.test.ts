import { describe, expect, it } from "vitest";
import { CommandError } from "../lab/exec/types.js";
import { dockerAnswers, dockerInfo } from "../lab/tools/docker.js";
import { FakeCluster } from "./support/fakeCluster.js";

/** dockerInfo against the played Docker (test/support/fakeCluster.ts, its answers' sources there). */
describe("dockerInfo", () => {
  it("runs docker info --format {{json .}} and reads a running daemon", async () => {
    const cluster = new FakeCluster();
    const result = await dockerInfo(cluster.runner);
    expect(cluster.runner.calls.map((c) => c.argv)).toEqual([["docker", "info", "--format", "{{json .}}"]]);
    expect(result.info).toMatchObject({ ServerVersion: "28.3.2", NCPU: 8, MemTotal: 8 * 2 ** 30, OperatingSystem: "Docker Desktop" });
    expect(dockerAnswers(result)).toBe(true);
  });

  it("reads a daemon that is down: the JSON still printed, exit 1, an empty ServerVersion", async () => {
    const cluster = new FakeCluster();
    cluster.dockerRunning = false;
    const result = await dockerInfo(cluster.runner);
    expect(result.exitCode).toBe(1);
    expect(result.info.ServerVersion).toBe("");
    expect(result.stderr).toMatch(/^Cannot connect to the Docker daemon/);
    expect(dockerAnswers(result)).toBe(false);
  });

  it("throws CommandError with exit code 127 when docker is not installed", async () => {
    const cluster = new FakeCluster();
    cluster.runner.failWhen((argv) => argv[0] === "docker", { missing: true });
    const error = await dockerInfo(cluster.runner).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandError);
    expect((error as CommandError).result.exitCode).toBe(127);
  });
});
