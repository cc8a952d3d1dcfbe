import { resolve } from "node:path";
import type { Io, ParsedArgs } from "../cli/command.js";

export { renderSpec } from "./specs.js";

export async function renderCommand(args: ParsedArgs, io: Io): Promise<number> {
  const dir = resolve(args.string("out") ?? "manifests");
  const check = args.flag("check");
  // Said before zod and kubernetes-models load, which is most of this command's time
  // (npm run bench:start): the user sees at once what is being done, and where.
  io.err(check ? `checking ${dir} against what lab/ renders…` : `rendering the lab into ${dir}…`);
  const [{ loadConfigFromArgs }, { manifestDrift, renderManifests, writeManifests }] = await Promise.all([
    import("../cli/config.js"),
    import("../topology/render.js"),
  ]);
  const { config } = loadConfigFromArgs(args.values, io.env);
  const rendered = renderManifests(config);
  if (check) {
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
