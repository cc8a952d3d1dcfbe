import type { CommandSpec } from "./command.js";

/** README's per-command flag lists, from the same specs --help prints, so the two cannot drift. */
export function flagsMarkdown(specs: readonly CommandSpec[]): string {
  return specs
    .map((spec) => {
      const rows = spec.flags.map((f) => `| \`--${f.name}${f.value ? ` ${f.value}` : ""}\`${f.short ? ` (\`-${f.short}\`)` : ""} | ${f.description} |`);
      return [`#### \`npm run ${spec.name}\``, "", spec.summary + ".", "", "| flag | meaning |", "| --- | --- |", ...rows].join("\n");
    })
    .join("\n\n");
}
