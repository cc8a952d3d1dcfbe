import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../lab/config/load.js";
import type { LabConfig } from "../../lab/config/schema.js";

/** The default config, loaded as the tool loads it (no file, no env). */
export function defaultConfig(): LabConfig {
  return loadConfig({ cwd: mkdtempSync(join(tmpdir(), "anka-lab-cfg-")), env: {} }).config;
}

/** A config with some sections replaced, bypassing validation so render-time policy can be tested. */
export function craftedConfig(patch: (c: LabConfig) => void): LabConfig {
  const config = structuredClone(defaultConfig());
  patch(config);
  return config;
}
