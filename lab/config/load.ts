import { existsSync, readFileSync, statSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { CONFIG_KEYS, LabConfigSchema, envVarFor, type LabConfig } from "./schema.js";
import { LabError } from "../errors.js";

/** Where a value came from, lowest precedence first. */
export type ConfigSource = "default" | "file" | "env" | "flag";

export interface LoadOptions {
  /** Path of the YAML file; when undefined, lab.config.yaml in cwd if it exists. */
  readonly file?: string;
  /** Whether `file` was named by the user (then a missing file is an error). */
  readonly fileRequired?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  /** `--set key=value` pairs and shortcut flags, already split. */
  readonly flags?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

export interface LoadedConfig {
  readonly config: LabConfig;
  /** The source of every key that is set. */
  readonly sources: ReadonlyMap<string, ConfigSource>;
  readonly file?: string;
}

/** Every problem found, one line each; thrown so callers print them all at once. */
export class ConfigError extends LabError {
  override name = "ConfigError";
  constructor(problems: readonly string[]) {
    super(problems.join("\n"), { problems, headline: `the lab config has ${problems.length} problem(s):`, exitCode: 2 });
  }
}

const KNOWN_KEYS = new Set(CONFIG_KEYS.map((k) => k.key));

type Tree = Record<string, unknown>;

function setPath(tree: Tree, key: string, value: unknown): void {
  const parts = key.split(".");
  let node = tree;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== "object" || node[part] === null) node[part] = {};
    node = node[part] as Tree;
  }
  node[parts.at(-1)!] = value;
}

/** Flattens a YAML tree to dotted keys; anything that is not a known key is reported. */
function flatten(tree: unknown, prefix: string, out: Map<string, unknown>, problems: string[], where: string): void {
  if (typeof tree !== "object" || tree === null || Array.isArray(tree)) {
    problems.push(`${where}: expected a mapping of keys, got ${JSON.stringify(tree)}`);
    return;
  }
  for (const [name, value] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (KNOWN_KEYS.has(key)) out.set(key, value);
    else if (typeof value === "object" && value !== null && [...KNOWN_KEYS].some((k) => k.startsWith(key + ".")))
      flatten(value, key, out, problems, where);
    else problems.push(`${where}: unknown key "${key}"${suggest(key)}`);
  }
}

function suggest(key: string): string {
  const leaf = key.split(".").at(-1)!.toLowerCase();
  const near = [...KNOWN_KEYS].find((k) => k.toLowerCase().endsWith(leaf.slice(0, -1)) || k.toLowerCase().split(".").at(-1) === leaf);
  return near ? `; did you mean "${near}"?` : "; see README 'Configuration' for the keys";
}

function describeSource(key: string, source: ConfigSource | undefined, file: string | undefined): string {
  switch (source) {
    case "flag":
      return `--set ${key}=...`;
    case "env":
      return envVarFor(key);
    case "file":
      return `${key} in ${file}`;
    default:
      return `default of ${key}`;
  }
}

/**
 * Loads the lab config: defaults < lab.config.yaml < ANKA_LAB_* variables < flags.
 * Validates the result and throws ConfigError listing every problem.
 */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const problems: string[] = [];
  const values = new Map<string, unknown>();
  const sources = new Map<string, ConfigSource>();

  for (const { key, default: value } of CONFIG_KEYS) {
    if (value !== undefined) {
      values.set(key, value);
      sources.set(key, "default");
    }
  }

  const file = options.file ?? (existsSync(`${cwd}/lab.config.yaml`) ? `${cwd}/lab.config.yaml` : undefined);
  if (file !== undefined) {
    if (!existsSync(file)) {
      problems.push(`config file ${file} does not exist: create it or drop --config`);
    } else {
      let parsed: unknown;
      // Only a regular file of a sane size is read: a FIFO would block forever and /dev/zero
      // would fill memory before YAML could say anything.
      const stat = statSync(file);
      if (!stat.isFile()) problems.push(`config file ${file} is not a regular file: give a YAML file such as lab.config.yaml`);
      else if (stat.size > MAX_CONFIG_BYTES) problems.push(`config file ${file} is ${stat.size} bytes, over the ${MAX_CONFIG_BYTES}-byte limit for a lab config: give the lab's YAML file`);
      else
        try {
          parsed = parseYaml(readFileSync(file, "utf8"));
        } catch (error) {
          problems.push(`${file} is not valid YAML: ${(error as Error).message.split("\n")[0]}`);
        }
      if (parsed !== undefined && parsed !== null) {
        const fromFile = new Map<string, unknown>();
        flatten(parsed, "", fromFile, problems, file);
        for (const [key, value] of fromFile) {
          values.set(key, value);
          sources.set(key, "file");
        }
      }
    }
  }

  const envNames = new Map(CONFIG_KEYS.map((k) => [envVarFor(k.key), k.key]));
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith("ANKA_LAB_") || value === undefined) continue;
    const key = envNames.get(name);
    if (key === undefined) {
      // Variables that steer the tool itself rather than the topology.
      if (!TOOL_VARIABLES.has(name)) problems.push(`environment: unknown variable ${name}; see README 'Configuration' for the names`);
      else if (value.trim() === "" && (name === "ANKA_LAB_STATE_DIR" || name === "ANKA_LAB_HOSTS_FILE"))
        problems.push(`environment: ${name} is empty: unset it to use the default, or name a path`);
      continue;
    }
    values.set(key, value);
    sources.set(key, "env");
  }

  for (const [key, value] of Object.entries(options.flags ?? {})) {
    if (!KNOWN_KEYS.has(key)) {
      problems.push(`--set ${key}: unknown key${suggest(key)}`);
      continue;
    }
    values.set(key, value);
    sources.set(key, "flag");
  }

  const tree: Tree = {};
  for (const [key, value] of values) setPath(tree, key, value);
  const result = LabConfigSchema.safeParse(tree);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = issue.path.join(".");
      const shown = values.has(key) ? JSON.stringify(values.get(key)) : "(missing)";
      problems.push(`${key} = ${shown}: ${issue.message} (set by ${describeSource(key, sources.get(key), file)})`);
    }
  } else {
    problems.push(...crossChecks(result.data, sources, file));
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { config: result.data!, sources, file };
}

/** A lab config is a page of YAML; anything larger is not one. */
const MAX_CONFIG_BYTES = 1024 * 1024;

/** Variables read by the tool itself, not config keys. */
export const TOOL_VARIABLES = new Set(["ANKA_LAB_STATE_DIR", "ANKA_LAB_HOSTS_FILE", "ANKA_LAB_FROM_SOURCE", "ANKA_LAB_REAL_MINIKUBE", "ANKA_LAB_PROBE_TOKEN"]);

/** Rules that span several keys. */
function crossChecks(config: LabConfig, sources: ReadonlyMap<string, ConfigSource>, file: string | undefined): string[] {
  const problems: string[] = [];
  const ports: [string, number][] = [
    ["controller.port", config.controller.port],
    ["registry.port", config.registry.port],
    ["ingress.port", config.ingress.port],
    ...(config.probe.enabled ? ([["probe.port", config.probe.port]] as [string, number][]) : []),
  ];
  const seen = new Map<number, string>();
  for (const [key, value] of ports) {
    const other = seen.get(value);
    if (other !== undefined)
      problems.push(
        `${key} = ${value}: must differ from ${other} (the LoadBalancers and the ingress all share 127.0.0.1) (set by ${describeSource(key, sources.get(key), file)})`,
      );
    seen.set(value, key);
  }
  if (config.controller.hostname === config.registry.hostname)
    problems.push(`registry.hostname = "${config.registry.hostname}": must differ from controller.hostname, each Ingress needs its own host`);
  return problems;
}
