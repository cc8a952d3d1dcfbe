import { loadConfig, type LoadedConfig } from "../config/load.js";
import { configFlags, type ParsedArgs } from "./command.js";

/** The lab config from --config, --set and the shortcut flags (loads zod: only commands that need a config import this). */
export function loadConfigFromArgs(values: ParsedArgs["values"], env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const file = typeof values.config === "string" ? values.config : undefined;
  return loadConfig({ file, env, flags: configFlags(values) });
}
