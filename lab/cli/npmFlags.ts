import type { CommandSpec } from "./command.js";

/**
 * `npm run lab:up --dry-run` (no `--`) hands `--dry-run` to npm, not to the script: npm passes
 * only the arguments after `--` to the script ("npm will pass all the arguments after the --
 * directly to your script", https://docs.npmjs.com/cli/v11/commands/npm-run-script), and keeps
 * the others as its own config, which it exports to the script as npm_config_<name> with dashes
 * as underscores ("Set environment variables for any non-default configs, so that they're already
 * there when we run lifecycle scripts", npm/cli workspaces/config/lib/set-envs.js). npm 11 also
 * exports `npm_config_yes=` (empty) by default, so an empty or "false" value means not given.
 *
 * Only under `npm run <this command>` (npm_lifecycle_event is the script's name,
 * https://docs.npmjs.com/cli/v11/using-npm/scripts#current-lifecycle-event); `npx anka-lab` and
 * the bin take flags as typed.
 *
 * Returns the one-line refusal, or undefined when nothing was eaten.
 */
export function npmAteFlags(spec: CommandSpec, argv: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  if (env.npm_lifecycle_event !== spec.name) return undefined;
  const given = (name: string) => argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  const eaten = spec.flags.filter((f) => {
    const value = env[`npm_config_${f.name.replace(/-/g, "_")}`];
    return value !== undefined && value !== "" && value !== "false" && !given(f.name);
  });
  if (eaten.length === 0) return undefined;
  // A value flag typed without `--` (`--size 4Gi`) leaves its value behind as a positional.
  const rest = [...argv];
  const typed = eaten.map((f) => {
    if (f.type === "boolean") return `--${f.name}`;
    const value = env[`npm_config_${f.name.replace(/-/g, "_")}`];
    if (value && value !== "true") return `--${f.name} ${value}`;
    const index = spec.positionals ? -1 : rest.findIndex((a) => !a.startsWith("-"));
    return index >= 0 ? `--${f.name} ${rest.splice(index, 1)[0]}` : `--${f.name} …`;
  });
  const names = eaten.map((f) => `--${f.name}`).join(", ");
  const command = ["npm run", spec.name, "--", ...typed, ...rest].join(" ");
  return `npm took ${names} for itself (flags before \`--\` go to npm, not to the lab), so nothing ran; type: ${command}`;
}
