import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** Where each lab:up step got to, so a crashed or interrupted run can say so and the next one carries on. */
export interface LabState {
  profile?: string;
  lastCommand?: string;
  startedAt?: string;
  finishedAt?: string;
  /** The step running when the command stopped, if it did not finish. */
  stoppedAt?: string;
  stoppedBecause?: string;
  steps: Record<string, "running" | "done" | "failed" | "skipped">;
}

/**
 * The lab's `minikube tunnel`: its pid with what identifies the process behind it (ps lstart and
 * command), since after a reboot another process may hold the pid (lab/tools/tunnel.ts).
 */
export interface TunnelRecord {
  readonly pid?: number;
  readonly profile: string;
  readonly startedAt: string;
  readonly log: string;
  /** The process's command line, as ps shows it. */
  readonly command?: string;
  /** The process's start time, as ps lstart shows it. */
  readonly processStart?: string;
  /** When its LoadBalancer forwards were first seen answering (after that, refusing means stale). */
  readonly forwardedAt?: string;
  /** A tunnel the user started (the lab's own exited with TUNNEL_ALREADY_RUNNING): never signalled. */
  readonly adopted?: boolean;
}

/** The `.lab/` folder: state.json, tunnel.json, tunnel.log. Each write is atomic. */
export class StateStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  private readJson<T>(name: string): T | undefined {
    const file = this.path(name);
    if (!existsSync(file)) return undefined;
    try {
      return JSON.parse(readFileSync(file, "utf8")) as T;
    } catch {
      return undefined;
    }
  }

  private writeJson(name: string, value: unknown): void {
    mkdirSync(this.dir, { recursive: true });
    const file = this.path(name);
    writeFileSync(`${file}.tmp`, JSON.stringify(value, null, 2) + "\n");
    renameSync(`${file}.tmp`, file);
  }

  read(): LabState {
    return this.readJson<LabState>("state.json") ?? { steps: {} };
  }

  update(change: (state: LabState) => void): LabState {
    const state = this.read();
    change(state);
    this.writeJson("state.json", state);
    return state;
  }

  tunnel(): TunnelRecord | undefined {
    return this.readJson<TunnelRecord>("tunnel.json");
  }

  setTunnel(record: TunnelRecord | undefined): void {
    if (record) this.writeJson("tunnel.json", record);
    else if (existsSync(this.path("tunnel.json"))) this.writeJson("tunnel.json", null);
  }
}

export function defaultStateDir(env: NodeJS.ProcessEnv): string {
  return env.ANKA_LAB_STATE_DIR ?? ".lab";
}
