import { CONFIG_KEYS, envVarFor } from "./schema.js";

/** The README's configuration table, generated from CONFIG_KEYS so the two cannot drift. */
export function configKeysMarkdown(): string {
  const rows = CONFIG_KEYS.map(
    (k) => `| \`${k.key}\` | ${k.default === undefined ? "(unset)" : `\`${k.default}\``} | \`${envVarFor(k.key)}\` | ${k.description} |`,
  );
  return ["| key | default | environment | meaning |", "| --- | --- | --- | --- |", ...rows].join("\n");
}
