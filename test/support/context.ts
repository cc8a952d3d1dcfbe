import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LabConfig } from "../../lab/config/schema.js";
import { LabContext, type WaitTimings } from "../../lab/context.js";
import type { Runner } from "../../lab/exec/types.js";
import { StateStore } from "../../lab/state.js";
import type { StepReport } from "../../lab/lifecycle/step.js";

/**
 * A LabContext as a command builds it, for tests that drive one step or module directly: a state
 * folder and hosts file of its own, no terminal, no sudo, nothing interrupted.
 */
export function testContext(config: LabConfig, runner: Runner, options: { dryRun?: boolean; waits: WaitTimings; dir?: string }): LabContext {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "anka-lab-ctx-"));
  return new LabContext(config, runner, new StateStore(join(dir, ".lab")), {
    dryRun: options.dryRun ?? false,
    waits: options.waits,
    signal: new AbortController().signal,
    hostsFile: join(dir, "hosts"),
    interactive: false,
    confirm: async () => false,
    needsSudo: false,
  });
}

/** A StepReport that keeps what a step said, for tests that run a step directly. */
export function recordingReport(): StepReport & { lines: string[]; undos: (() => Promise<unknown>)[] } {
  const lines: string[] = [];
  const undos: (() => Promise<unknown>)[] = [];
  return { lines, undos, output: (l) => void lines.push(l), skip: (l) => void lines.push(`skip: ${l}`), onUndo: (u) => void undos.push(u) };
}
