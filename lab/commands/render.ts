import { resolve } from "node:path";
import type { Io, ParsedArgs } from "../cli/command.js";
import { loadConfigFromArgs } from "../cli/config.js";
import { manifestDrift, renderManifests, writeManifests } from "../topology/render.js";

export { renderSpec } from "./specs.js";

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
      : `wrote ${written.length} file(s) in ${dir}${written.length ? `: ${written.join(", ")}` : ""}${removed.length ? `; removed ${removed.join(", ")}` : ""}`,
  );
  return 0;
}
