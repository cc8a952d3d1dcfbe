import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

/**
 * The second tier: the real lab on a real minikube, for people on a Mac with `brew bundle` done.
 * It creates its own profile (anka-lab-it) and deletes it at the end, data included.
 *   ANKA_LAB_REAL_MINIKUBE=1 npx vitest run test/minikube.int.test.ts
 */
const enabled = process.env.ANKA_LAB_REAL_MINIKUBE === "1";
if (!enabled) console.warn('skipping "real minikube" tier: set ANKA_LAB_REAL_MINIKUBE=1 on a Mac with minikube and Docker Desktop to run it');

const root = join(import.meta.dirname, "..");
const env = { ...process.env, NO_COLOR: "1", CI: "", ANKA_LAB_PROFILE: "anka-lab-it", ANKA_LAB_STATE_DIR: join(root, ".lab-it") };
const lab = (script: string, ...args: string[]) =>
  promisify(execFile)(process.execPath, ["--import", "tsx", join(root, "scripts", `${script}.ts`), ...args], { cwd: root, env, maxBuffer: 64 * 2 ** 20 });

describe.runIf(enabled)("the lab on a real minikube", { timeout: 45 * 60_000 }, () => {
  it("passes the doctor", async () => {
    await lab("doctor");
  });

  it("comes up, and a second lab:up changes nothing", async () => {
    const first = await lab("up");
    expect(first.stdout).toContain("The Anka Build Cloud lab is up.");
    const second = await lab("up");
    expect(second.stdout).toContain("The Anka Build Cloud lab is up.");
  });

  it("reports healthy", async () => {
    const { stdout } = await lab("status", "--json");
    expect(JSON.parse(stdout)).toMatchObject({ healthy: true });
  });

  it("goes down keeping data, then purges with the cluster", async () => {
    await lab("down");
    await lab("down", "--delete-cluster", "--purge", "--yes");
  });
});
