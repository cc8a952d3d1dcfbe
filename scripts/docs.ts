#!/usr/bin/env tsx
// npm run docs: writes README's generated blocks, the flag tables (from the specs --help prints)
// and the configuration table (from the config schema), between their marker comments.
// npm run docs:check: writes nothing; prints the diff and exits 1 when README differs, as
// `lab:render --check` does for manifests/ (test/readme.test.ts runs it).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createTwoFilesPatch } from "diff";
import { main, type CommandSpec } from "../lab/cli/command.js";
import { VERBS } from "../lab/cli/main.js";
import { CONFIG_KEYS, envVarFor } from "../lab/config/schema.js";
import { LabError } from "../lab/errors.js";

/** README's per-command flag lists, from the same specs --help prints, so the two cannot drift. */
export function flagsMarkdown(specs: readonly CommandSpec[]): string {
  return specs
    .map((spec) => {
      const rows = spec.flags.map((f) => `| \`--${f.name}${f.value ? ` ${f.value}` : ""}\`${f.short ? ` (\`-${f.short}\`)` : ""} | ${f.description} |`);
      return [`#### \`npm run ${spec.name}\``, "", spec.summary + ".", "", "| flag | meaning |", "| --- | --- |", ...rows].join("\n");
    })
    .join("\n\n");
}

/** README's configuration table, from the keys the schema defines, so the two cannot drift. */
export function configKeysMarkdown(): string {
  const rows = CONFIG_KEYS.map(
    (k) => `| \`${k.key}\` | ${k.default === undefined ? "(unset)" : `\`${k.default}\``} | \`${envVarFor(k.key)}\` | ${k.description} |`,
  );
  return ["| key | default | environment | meaning |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

/** Each generated block by the name in its markers: `<!-- NAME:start -->` … `<!-- NAME:end -->`. */
export const GENERATED_BLOCKS: Readonly<Record<string, () => string>> = {
  flags: () => flagsMarkdown(Object.values(VERBS).map((verb) => verb.spec)),
  "config-keys": configKeysMarkdown,
};

/** The README with every generated block rewritten; a block whose markers are missing is an error. */
export function withGeneratedBlocks(readme: string, file = "README.md"): string {
  let text = readme;
  for (const [name, generate] of Object.entries(GENERATED_BLOCKS)) {
    const start = `<!-- ${name}:start -->\n`;
    const end = `\n<!-- ${name}:end -->`;
    const from = text.indexOf(start);
    const to = text.indexOf(end, from);
    if (from < 0 || to < 0)
      throw new LabError(`${file} has no ${name} block`, { hint: `put the lines <!-- ${name}:start --> and <!-- ${name}:end --> where it belongs, then npm run docs`, exitCode: 2 });
    text = text.slice(0, from + start.length) + generate() + text.slice(to);
  }
  return text;
}

const docsSpec: CommandSpec = {
  name: "docs",
  summary: "write README's flag and configuration tables from the command specs and the config schema",
  flags: [
    { name: "check", type: "boolean", description: "write nothing; exit 1 and print the diff if README is not what the code generates" },
    { name: "readme", type: "string", value: "FILE", description: "the README to write or check (default: README.md of this repository)" },
  ],
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  main(docsSpec, async (args, io) => {
    const file = args.string("readme") ?? join(import.meta.dirname, "..", "README.md");
    const readme = readFileSync(file, "utf8");
    const wanted = withGeneratedBlocks(readme, file);
    if (args.flag("check")) {
      if (wanted === readme) {
        io.out(`${file} is up to date.`);
        return 0;
      }
      io.out(createTwoFilesPatch(file, "generated", readme, wanted, "on disk", "generated"));
      io.err(`anka-lab: ${file} differs from what the command specs and the config schema generate; run npm run docs to update it.`);
      return 1;
    }
    if (wanted === readme) io.out(`${file} already up to date.`);
    else {
      writeFileSync(file, wanted);
      io.out(`wrote the generated tables in ${file}`);
    }
    return 0;
  });
