import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { runCommand, type CommandSpec } from "../../lab/cli/command.js";
import type { CommandDeps, LabCommand } from "../../lab/commands/common.js";
import type { HostFacts } from "../../lab/checks/doctor.js";
import { StateStore } from "../../lab/state.js";
import type { Runner } from "../../lab/exec/types.js";
import { captureIo, type CapturedIo } from "./io.js";

/**
 * What minikube tunnel forwards 127.0.0.1:<port> to: the controller's and registry's status
 * endpoints, answering as Veertu documents them (controller GET /api/v1/status, registry GET
 * /registry/status: {"status":"OK","body":{"status":"Running","version":…}};
 * veertuinc/anka-docs anka-build-cloud/working-with-controller-and-API.md, working-with-registry-and-API.md).
 * Loopback only.
 */
export interface AnkaStubs {
  /** Whether the controller answers OK (a test turns it off to play a controller that lost etcd). */
  controllerOk: () => boolean;
  readonly controllerPort: number;
  readonly registryPort: number;
  /**
   * Plays the tunnel's `ssh -L` forwards on these ports: off, nothing listens on them (a TCP connect
   * is refused, as with a dead or stale tunnel); on, the stubs listen again on the same ports.
   */
  setForwarding(on: boolean): Promise<void>;
  close(): Promise<void>;
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<Server> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

export async function ankaStubs(): Promise<AnkaStubs> {
  const stubs = { controllerOk: () => true } as { controllerOk: () => boolean };
  const controller = await listen((req, res) => {
    res.setHeader("content-type", "application/json");
    if (req.url === "/api/v1/status" && !stubs.controllerOk())
      res.writeHead(500).end(JSON.stringify({ status: "FAIL", message: "etcdserver: request timed out" }));
    else if (req.url === "/api/v1/status") res.end(JSON.stringify({ status: "OK", body: { status: "Running", version: "1.50.0", registry_status: "Running" } }));
    else res.writeHead(404).end(JSON.stringify({ status: "FAIL", message: "not found" }));
  });
  const registry = await listen((req, res) => {
    res.setHeader("content-type", "application/json");
    if (req.url === "/registry/status") res.end(JSON.stringify({ status: "OK", body: { status: "Running", version: "1.50.0" } }));
    else res.writeHead(404).end(JSON.stringify({ status: "FAIL", message: "not found" }));
  });
  const controllerPort = (controller.address() as AddressInfo).port;
  const registryPort = (registry.address() as AddressInfo).port;
  const servers: [Server, number][] = [[controller, controllerPort], [registry, registryPort]];
  const close = async () => {
    await Promise.all(
      servers.map(([s]) => {
        if (!s.listening) return undefined;
        s.closeAllConnections();
        return new Promise((r) => s.close(r));
      }),
    );
  };
  return Object.assign(stubs, {
    controllerPort,
    registryPort,
    setForwarding: async (on: boolean) => {
      if (!on) return close();
      for (const [s, port] of servers) if (!s.listening) await new Promise<void>((r) => s.listen(port, "127.0.0.1", () => r()));
    },
    close,
  });
}

/** A Mac with room to spare; ports are free unless a test says otherwise. */
export function macHostFacts(busyPorts: number[] = []): HostFacts {
  return { os: "darwin", arch: "arm64", freeDiskBytes: async () => 200 * 2 ** 30, portFree: async (port) => !busyPorts.includes(port) };
}

export interface Harness {
  readonly io: CapturedIo;
  deps: CommandDeps;
  readonly stateDir: string;
  readonly hostsFile: string;
  readonly state: StateStore;
  /** Runs a lab command as the CLI would (flag parsing, error printing), returning its exit code. */
  run(spec: CommandSpec, command: LabCommand, ...argv: string[]): Promise<number>;
  hosts(): string;
}

/** Temp state dir and hosts file, captured output, fast waits, the fake cluster's runner. */
export function harness(cluster: { readonly runner: Runner }, stubs: AnkaStubs, overrides: Partial<CommandDeps> = {}, extraEnv: Record<string, string> = {}): Harness {
  const dir = mkdtempSync(join(tmpdir(), "anka-lab-life-"));
  const stateDir = join(dir, ".lab");
  const hostsFile = join(dir, "hosts");
  writeFileSync(hostsFile, "127.0.0.1 localhost\n255.255.255.255 broadcasthost\n");
  const env = {
    ANKA_LAB_STATE_DIR: stateDir,
    ANKA_LAB_CONTROLLER_PORT: String(stubs.controllerPort),
    ANKA_LAB_REGISTRY_PORT: String(stubs.registryPort),
    ...extraEnv,
  };
  return {
    io: captureIo(env),
    deps: {
      runner: cluster.runner,
      hostFacts: macHostFacts(),
      waits: { timeoutMs: 300, intervalMs: 10 },
      hostsFile,
      interactive: false,
      confirm: async () => false,
      renderer: "silent",
      needsSudo: true,
      ...overrides,
    },
    stateDir,
    hostsFile,
    state: new StateStore(stateDir),
    run(spec, command, ...argv) {
      const deps = this.deps;
      return runCommand(spec, (args, io) => command(args, io, deps), argv, this.io);
    },
    hosts: () => readFileSync(hostsFile, "utf8"),
  };
}

/**
 * For the running test: should it fail, print what the lab wrote to stderr in it, since an exit
 * code alone does not say why a run stopped. Call it from beforeEach with the context's onTestFailed.
 */
export function printLabStderrOnFailure(onTestFailed: (handler: () => void) => void, current: () => Harness | undefined): void {
  onTestFailed(() => console.error(`the lab's stderr in this test:\n${current()?.io.stderr.join("\n") ?? "(no lab run yet)"}`));
}
