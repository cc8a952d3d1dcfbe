import { resolve } from "node:path";
import { CONFIG_FLAGS, loadConfigFromArgs, type CommandSpec, type Io, type ParsedArgs } from "../cli/command.js";
import { manifestDrift, renderManifests, writeManifests } from "../render.js";

export const renderSpec: CommandSpec = {
  name: "lab:render",
  summary: "write the lab's Kubernetes YAML for the current config",
  flags: [
    ...CONFIG_FLAGS,
    { name: "out", type: "string", value: "DIR", description: "where to write (default: manifests/)" },
    { name: "check", type: "boolean", description: "write nothing; exit 1 and print the diff if DIR is not what the code renders" },
  ],
  details:
    "Every object is validated against the Kubernetes OpenAPI schema, then checked against the HA\n" +
    "policy (no registry memory limit, odd etcd of 3+, shared ReadWriteMany volume, large-transfer\n" +
    "Ingress annotations). A violation refuses the render and writes nothing.\n" +
    "The committed manifests/ also works without this tool: kubectl apply -k manifests/",
  examples: ["npm run lab:render", "npm run lab:render -- --check", "npm run lab:render -- --set etcd.replicas=5 --out /tmp/lab"],
};

export async function renderCommand(args: ParsedArgs, io: Io): Promise<number> {
  const { config } = loadConfigFromArgs(args.values, io.env);
  const dir = resolve(typeof args.values.out === "string" ? args.values.out : "manifests");
  const rendered = renderManifests(config);
  if (args.values.check) {
    const drift = manifestDrift(dir, rendered);
    if (drift.length === 0) {
      io.out(`${dir} is up to date (${rendered.files.size} files).`);
      return 0;
    }
    for (const d of drift) io.out(d);
    io.err(`anka-lab: ${dir} differs from what lab/ renders in ${drift.length} file(s); run npm run lab:render to update it.`);
    return 1;
  }
  const { written, removed } = writeManifests(dir, rendered);
  io.out(
    written.length + removed.length === 0
      ? `${dir} already up to date (${rendered.files.size} files).`
      : `wrote ${written.length} file(s)${removed.length ? `, removed ${removed.join(", ")}` : ""} in ${dir}: ${[...rendered.files.keys()].join(", ")}`,
  );
  return 0;
}
