import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../lab/config/load.js";
import { CONFIG_KEYS, envVarFor } from "../lab/config/schema.js";
import { parseSize } from "../lab/config/size.js";

function dirWith(yaml?: string): string {
  const dir = mkdtempSync(join(tmpdir(), "anka-lab-config-"));
  if (yaml !== undefined) writeFileSync(join(dir, "lab.config.yaml"), yaml);
  return dir;
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("config precedence", () => {
  it("uses the defaults with no file, env or flags", () => {
    const { config, sources } = loadConfig({ cwd: dirWith(), env: {} });
    expect(config.profile).toBe("anka-lab");
    expect(config.namespace).toBe("anka");
    expect(config.etcd.replicas).toBe(3);
    expect(config.controller.image).toBe("veertu/anka-build-cloud-controller:v1.50.0");
    expect(config.registry.image).toBe("veertu/anka-build-cloud-registry:v1.50.0");
    expect(config.etcd.image).toMatch(/^quay\.io\/coreos\/etcd:v3\.5\.\d+$/);
    expect(config.controller.port).toBe(8090);
    expect(config.registry.port).toBe(8089);
    expect(config.registry.memoryLimit).toBeUndefined();
    expect(sources.get("namespace")).toBe("default");
  });

  it("lets the file override defaults, env override the file, and flags override env", () => {
    const cwd = dirWith("namespace: from-file\netcd:\n  replicas: 5\nregistry:\n  storageSize: 30Gi\n");
    const env = { ANKA_LAB_NAMESPACE: "from-env", ANKA_LAB_REGISTRY_STORAGE_SIZE: "40Gi" };
    const { config, sources } = loadConfig({ cwd, env, flags: { "registry.storageSize": "50Gi" } });
    expect(config.etcd.replicas).toBe(5);
    expect(sources.get("etcd.replicas")).toBe("file");
    expect(config.namespace).toBe("from-env");
    expect(sources.get("namespace")).toBe("env");
    expect(config.registry.storageSize).toBe("50Gi");
    expect(sources.get("registry.storageSize")).toBe("flag");
  });

  it("maps every key to an ANKA_LAB_ variable", () => {
    expect(envVarFor("registry.storageSize")).toBe("ANKA_LAB_REGISTRY_STORAGE_SIZE");
    expect(envVarFor("minikube.kubernetesVersion")).toBe("ANKA_LAB_MINIKUBE_KUBERNETES_VERSION");
    const env = Object.fromEntries(CONFIG_KEYS.filter((k) => k.key === "etcd.replicas").map((k) => [envVarFor(k.key), "7"]));
    expect(loadConfig({ cwd: dirWith(), env }).config.etcd.replicas).toBe(7);
  });

  it("reads every key, its default and its meaning off the one schema", () => {
    // Every leaf of LabConfigSchema, dotted, in the schema's order, and each one documented.
    expect(CONFIG_KEYS).toHaveLength(42);
    expect(CONFIG_KEYS.slice(0, 4).map((k) => k.key)).toEqual(["profile", "namespace", "context", "minikube.driver"]);
    expect(CONFIG_KEYS.filter((k) => !k.description).map((k) => k.key)).toEqual([]);
    expect(CONFIG_KEYS.find((k) => k.key === "etcd.replicas")).toEqual({ key: "etcd.replicas", default: 3, description: "etcd members: 3, 5 or 7; lab:up adds or removes members one at a time" });
    expect(CONFIG_KEYS.find((k) => k.key === "ingress.tls")?.default).toBe(false);
    expect(CONFIG_KEYS.filter((k) => k.default === undefined).map((k) => k.key)).toEqual(["context", "etcd.storageClass", "controller.memoryLimit", "registry.memoryLimit"]);
    // The loader starts from those defaults: each is the value, and its source, with nothing set.
    const { config, sources } = loadConfig({ cwd: dirWith(), env: {} });
    for (const { key, default: value } of CONFIG_KEYS) {
      expect(key.split(".").reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], config), key).toBe(value);
      expect(sources.get(key), key).toBe(value === undefined ? undefined : "default");
    }
  });

  it("reads the text false from the environment as false, and refuses other words", () => {
    const off = loadConfig({ cwd: dirWith(), env: { ANKA_LAB_INGRESS_LARGE_TRANSFER_ANNOTATIONS: "false" } });
    expect(off.config.ingress.largeTransferAnnotations).toBe(false);
    const problems = problemsOf(() => loadConfig({ cwd: dirWith(), env: { ANKA_LAB_INGRESS_LARGE_TRANSFER_ANNOTATIONS: "no" } }));
    expect(problems[0]).toMatch(/^ingress\.largeTransferAnnotations = "no": must be true or false/);
  });
});

describe("config validation", () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    ["even etcd", { "etcd.replicas": "4" }, /^etcd\.replicas = "4": must be 3, 5 or 7: odd.*--set etcd\.replicas/],
    ["one etcd", { "etcd.replicas": "1" }, /^etcd\.replicas = "1": must be 3, 5 or 7/],
    ["nine etcd", { "etcd.replicas": "9" }, /^etcd\.replicas = "9": must be 3, 5 or 7: .*at most 7 as etcd's FAQ advises/],
    ["tiny etcd volume", { "etcd.storageSize": "256Mi" }, /^etcd\.storageSize = "256Mi": must be at least 512Mi/],
    ["compaction without a unit", { "etcd.autoCompactionRetention": "10" }, /^etcd\.autoCompactionRetention = "10": must be a duration such as 10m/],
    ["port out of range", { "registry.port": "70000" }, /^registry\.port = "70000": must be a port from 1 to 65535/],
    ["port zero", { "controller.port": "0" }, /^controller\.port = "0": must be a port from 1 to 65535/],
    ["same ports", { "controller.port": "8089" }, /^registry\.port = 8089: must differ from controller\.port/],
    ["bad size", { "registry.storageSize": "20 gigs" }, /^registry\.storageSize = "20 gigs": must be a size/],
    ["bad image", { "controller.image": "Veertu/Controller" }, /^controller\.image = "Veertu\/Controller": must be an image reference/],
    ["untagged image", { "registry.image": "veertu/anka-build-cloud-registry" }, /with a tag or digest/],
    ["bad namespace", { namespace: "Anka_Lab" }, /^namespace = "Anka_Lab": must be a DNS-1123 label/],
    ["bad profile", { profile: "-lab" }, /^profile = "-lab": must be a DNS-1123 label/],
    ["unknown key", { "registry.sise": "1Gi" }, /^--set registry\.sise: unknown key/],
    ["bad access mode", { "registry.accessMode": "Shared" }, /^registry\.accessMode = "Shared"/],
  ];
  it.each(cases)("reports %s in one line naming key, value and rule", (_, flags, pattern) => {
    const problems = problemsOf(() => loadConfig({ cwd: dirWith(), env: {}, flags }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(pattern);
  });

  it("accepts the variables the tool itself reads (the hosts file, the probe token)", () => {
    expect(() => loadConfig({ cwd: dirWith(""), env: { ANKA_LAB_HOSTS_FILE: "/tmp/hosts", ANKA_LAB_PROBE_TOKEN: "t0k3n" } })).not.toThrow();
  });

  it("reports every problem at once, each with where it was set", () => {
    const cwd = dirWith("etcd:\n  replicas: 2\nregistry:\n  storageSize: lots\n  colour: blue\n");
    const problems = problemsOf(() =>
      loadConfig({ cwd, env: { ANKA_LAB_CONTROLLER_PORT: "http", ANKA_LAB_BOGUS: "1" }, flags: { namespace: "UPPER" } }),
    );
    expect(problems).toHaveLength(6);
    expect(problems.join("\n")).toContain('unknown key "registry.colour"');
    expect(problems.join("\n")).toContain("unknown variable ANKA_LAB_BOGUS");
    expect(problems.find((p) => p.startsWith("etcd.replicas"))).toContain("in " + join(cwd, "lab.config.yaml"));
    expect(problems.find((p) => p.startsWith("controller.port"))).toContain("ANKA_LAB_CONTROLLER_PORT");
    expect(problems.find((p) => p.startsWith("namespace"))).toContain("--set namespace");
    expect(problems.find((p) => p.startsWith("registry.storageSize"))).toBeDefined();
  });

  it("names a missing --config file and invalid YAML", () => {
    expect(problemsOf(() => loadConfig({ file: "/nonexistent/lab.yaml", env: {} }))[0]).toMatch(/does not exist/);
    const cwd = dirWith("etcd: [unclosed\n");
    expect(problemsOf(() => loadConfig({ cwd, env: {} }))[0]).toMatch(/is not valid YAML/);
  });
});

describe("sizes", () => {
  it.each([
    ["20Gi", 20 * 2 ** 30],
    ["512Mi", 512 * 2 ** 20],
    ["1G", 1e9],
    ["100k", 100_000],
    ["4096", 4096],
  ])("parses %s", (text, bytes) => expect(parseSize(text)).toBe(bytes));
  it.each(["", "1.5Gi", "Gi", "-1Gi", "10GB", "1gi"])("rejects %j", (text) => expect(parseSize(text)).toBeUndefined());
});

describe("bad config values, each refused in one line that names the key, the rule and where it was set", () => {
  const fifo = join(mkdtempSync(join(tmpdir(), "anka-lab-fifo-")), "config.fifo");
  execFileSync("mkfifo", [fifo]);
  it.each([
    ["a hex count from the environment", { env: { ANKA_LAB_ETCD_REPLICAS: "0x5" } }, /^etcd\.replicas = "0x5": must be a whole number in decimal digits.*\(set by ANKA_LAB_ETCD_REPLICAS\)$/],
    ["an exponent", { env: { ANKA_LAB_BUILD_CLOUD_REPLICAS: "8.1e3" } }, /^buildCloud\.replicas = "8\.1e3": must be a whole number in decimal digits/],
    ["an empty count", { env: { ANKA_LAB_ETCD_REPLICAS: "" } }, /^etcd\.replicas = "": must be a whole number in decimal digits/],
    ["a count no lab can hold", { flags: { "etcd.replicas": "999999999" } }, /^etcd\.replicas = "999999999": must be 3, 5 or 7/],
    ["too many build-cloud pods", { flags: { "buildCloud.replicas": "100000" } }, /^buildCloud\.replicas = "100000": must be at most 10/],
    ["a zero size", { flags: { "registry.storageSize": "0" } }, /^registry\.storageSize = "0": must be more than 0/],
    ["a size over 16Ti", { flags: { "registry.storageSize": "17Ti" } }, /^registry\.storageSize = "17Ti": must be at most 16Ti/],
    ["a StorageClass with shell in it", { flags: { "registry.storageClass": "a;b $(id)" } }, /^registry\.storageClass = "a;b \$\(id\)": must be a StorageClass name/],
    ["an empty state folder", { env: { ANKA_LAB_STATE_DIR: "" } }, /^environment: ANKA_LAB_STATE_DIR is empty: unset it to use the default, or name a path$/],
    ["a folder as --config", { file: tmpdir() }, /is not a regular file: give a YAML file/],
    ["/dev/zero as --config", { file: "/dev/zero" }, /^config file \/dev\/zero is not a regular file/],
    ["a FIFO as --config (it would block forever)", { file: fifo }, /config\.fifo is not a regular file/],
  ] as const)("%s", (_, options, message) => {
    const problems = problemsOf(() => loadConfig({ cwd: dirWith(), env: {}, ...(options as object) }));
    expect(problems).toEqual([expect.stringMatching(message)]);
  });

  it("reports every problem at once", () => {
    const problems = problemsOf(() => loadConfig({ cwd: dirWith(), env: { ANKA_LAB_ETCD_REPLICAS: "4" }, flags: { "registry.storageSize": "0", "controller.port": "0x50" } }));
    expect(problems).toHaveLength(3);
  });
});
