import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { notYet, ready, waitFor } from "../../lab/wait.js";
import { renderManifests } from "../../lab/topology/render.js";
import { loadConfig } from "../../lab/config/load.js";
import { freePort } from "./ports.js";
import { stopChild } from "./process.js";

/**
 * One healthz request on a connection of its own that closes after it (agent: false sends
 * Connection: close; https://nodejs.org/api/http.html#httprequestoptions-callback), so starting the
 * probe leaves no keep-alive socket counted against its connection limit.
 */
function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get({ host: "127.0.0.1", port, path: "/anka-lab-probe/healthz", agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
  });
}

export interface RunningProbe {
  readonly url: string;
  readonly port: number;
  readonly root: string;
  /** The probe's process, for tests that signal it. */
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * The probe exactly as the lab ships it: server.mjs taken from the rendered ConfigMap, its env from
 * the rendered container (port, prefix, cap) except the root, run with this machine's node on 127.0.0.1.
 */
export async function startProbe(
  options: {
    maxBytes?: number;
    pod?: string;
    volume?: string;
    /** The port to listen on (default: a free one), e.g. to stand in again where a test already points. */
    port?: number;
    /** Extra PROBE_* settings, e.g. PROBE_TOKEN or PROBE_IDLE_MS. */
    env?: Record<string, string>;
    /** The argv that runs the code, e.g. inside a private mount namespace; default: this node. */
    launch?: (code: string) => readonly string[];
  } = {},
): Promise<RunningProbe> {
  // The default config, whatever the environment says: this runs the probe as lab:render ships it.
  const { objects } = renderManifests(loadConfig({ env: {}, cwd: tmpdir() }).config);
  const configMap = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "anka-lab-probe") as any;
  const container = (objects.find((o) => o.kind === "Deployment") as any).spec.template.spec.containers.find((c: any) => c.name === "probe");
  const env = Object.fromEntries(container.env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
  const dir = mkdtempSync(join(tmpdir(), "anka-lab-probe-"));
  const code = join(dir, "server.mjs");
  writeFileSync(code, configMap.data["server.mjs"]);
  const port = options.port ?? (await freePort());
  // The folder a pod sees as /mnt/vol; the probe keeps its files in anka-lab-probe/ under it, as in the pod.
  const root = join(options.volume ?? join(dir, "vol"), "anka-lab-probe");
  const [program, ...args] = options.launch?.(code) ?? [process.execPath, code];
  const child: ChildProcess = spawn(program!, args, {
    env: {
      ...env,
      PROBE_PORT: String(port),
      PROBE_HOST: "127.0.0.1",
      PROBE_ROOT: root,
      POD_NAME: options.pod ?? "anka-build-cloud-test-0",
      ...(options.maxBytes !== undefined ? { PROBE_MAX_BYTES: String(options.maxBytes) } : {}),
      ...options.env,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    "the probe's healthz",
    async () => {
      if (child.exitCode !== null) throw new Error(`probe exited ${child.exitCode}`);
      const ok = await healthy(port);
      return ok ? ready(true) : notYet("not answering");
    },
    { timeoutMs: 10_000, intervalMs: 50 },
  );
  return {
    url,
    port,
    root,
    child,
    async stop() {
      // A probe that ignores SIGTERM (one with uploads hanging on it) must not hang the caller:
      // SIGKILL after 15 s.
      const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await stopChild(child, "SIGTERM").finally(() => clearTimeout(killer));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
