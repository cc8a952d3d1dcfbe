import { loadConfig, type LoadedConfig } from "../config/load.js";
import { configFlags, stringFlag, type FlagValues } from "./command.js";

/** The lab config from --config, --set and the shortcut flags (loads zod: only commands that need a config import this). */
export function loadConfigFromArgs(values: FlagValues, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  return loadConfig({ file: stringFlag(values, "config"), env, flags: configFlags(values) });
}
