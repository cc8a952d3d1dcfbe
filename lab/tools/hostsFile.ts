import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { LabContext } from "../context.js";
import { HostsFileError, firstEntries, shadowingLines, withHostsBlock, withoutHostsBlock, type ShadowingLine } from "./hostsBlock.js";
import { LabError } from "../errors.js";

export { HostsFileError, hostsBlock, shadowingLines, withHostsBlock, withoutHostsBlock, type ShadowingLine } from "./hostsBlock.js";

/** Backups kept in the state folder, newest first; older ones are deleted. */
export const HOSTS_BACKUPS = 5;
/** Times a write starts over when another program changed the file meanwhile. */
const ATTEMPTS = 3;

export function labHostnames(ctx: LabContext): string[] {
  return [ctx.config.controller.hostname, ctx.config.registry.hostname];
}

function readHosts(file: string): string {
  return existsSync(file) ? readFileSync(file, "utf8") : "";
}

/** Whether every lab hostname resolves to 127.0.0.1 from the hosts file (its first line naming it says so). */
export function hostsResolved(ctx: LabContext): boolean {
  const first = firstEntries(readHosts(ctx.options.hostsFile), labHostnames(ctx));
  return labHostnames(ctx).every((name) => first.get(name)?.address === "127.0.0.1");
}

/** Earlier lines that send a lab hostname elsewhere, whatever the lab's block says. */
export function hostsShadows(ctx: LabContext): ShadowingLine[] {
  return shadowingLines(readHosts(ctx.options.hostsFile), labHostnames(ctx));
}

/** One line per shadowing entry, naming the line to remove. */
export function describeShadows(file: string, shadows: readonly ShadowingLine[]): string {
  return shadows.map((s) => `line ${s.line} of ${file}, "${s.text}", comes first and sends ${s.name} to ${s.address}: remove that line (sudo editor ${file})`).join("; ");
}

/** A timestamped copy of what was read, in the state folder; only the newest HOSTS_BACKUPS stay. */
function backup(ctx: LabContext, text: string): string {
  mkdirSync(ctx.state.dir, { recursive: true });
  // ISO time with ":" and "." replaced, so names sort by time and are valid on every filesystem.
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  let path = ctx.state.path(`hosts.backup.${stamp}`);
  // Two writes in one millisecond (add, then remove, in a script) get -1, -2, ... rather than one copy.
  for (let n = 1; existsSync(path); n++) path = ctx.state.path(`hosts.backup.${stamp}-${n}`);
  writeFileSync(path, text, { flag: "wx" });
  const all = readdirSync(ctx.state.dir)
    .filter((name) => name.startsWith("hosts.backup."))
    .sort()
    .reverse();
  for (const old of all.slice(HOSTS_BACKUPS)) rmSync(ctx.state.path(old), { force: true });
  return path;
}

/** A hosts write that found the file changed under it every time. */
export class HostsChangedError extends LabError {
  override name = "HostsChangedError";
}

/**
 * Replaces the hosts file with edit(current), as a compare-and-swap: the new text goes to a temp
 * file beside the hosts file, the file is read again, and only if it still holds what the edit
 * started from does one rename(2) swap it in (atomic on one filesystem). If another program
 * changed it meanwhile, the edit starts over from the new content. Each command goes through sudo
 * in the foreground, where its password prompt is visible.
 */
async function editHosts(ctx: LabContext, edit: (current: string) => string): Promise<{ changed: boolean; backup?: string }> {
  const file = ctx.options.hostsFile;
  const sudo = ctx.options.needsSudo ? ["sudo"] : [];
  const hint = `${file} is root's: run again and answer sudo's prompt, or edit it by hand`;
  const temp = join(dirname(file), `.${basename(file)}.anka-lab-next`);
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const current = readHosts(file);
    let next: string;
    try {
      next = edit(current);
    } catch (error) {
      throw error instanceof HostsFileError ? new HostsFileError(error.line, error.detail, file) : error;
    }
    if (next === current) return { changed: false };
    const saved = ctx.dryRun ? undefined : backup(ctx, current);
    const staged = ctx.state.path("hosts.next");
    if (!ctx.dryRun) writeFileSync(staged, next);
    await ctx.change([...sudo, "cp", staged, temp], { hint, interactive: true });
    // The same permissions as the file it replaces (hosts is 0644 on Linux and macOS).
    const mode = existsSync(file) ? (statSync(file).mode & 0o7777).toString(8) : "644";
    await ctx.change([...sudo, "chmod", mode, temp], { hint, interactive: true });
    if (!ctx.dryRun && readHosts(file) !== current) {
      await ctx.change([...sudo, "rm", "-f", temp], { hint, interactive: true });
      continue;
    }
    try {
      await ctx.change([...sudo, "mv", "-f", temp, file], { hint, interactive: true });
    } catch (error) {
      // A hosts file that cannot be renamed over (a container's bind-mounted one) is left as it
      // was; the staged copy goes, and the error names the command that failed.
      await ctx.change([...sudo, "rm", "-f", temp], { hint, interactive: true, allowFailure: true }).catch(() => undefined);
      throw error;
    }
    return { changed: true, backup: saved };
  }
  throw new HostsChangedError(`${file} changed while the lab was editing it, ${ATTEMPTS} times in a row; close the program editing it and run again`);
}

export interface HostsEdit<T extends string> {
  readonly outcome: T;
  /** The copy of the file as it was before the write. */
  readonly backup?: string;
}

/** Adds (or updates) the lab's block; refuses a malformed file with HostsFileError. */
export async function addHostsBlock(ctx: LabContext): Promise<HostsEdit<"present" | "added">> {
  const { changed, backup } = await editHosts(ctx, (current) => withHostsBlock(current, ctx.config.profile, labHostnames(ctx)));
  return { outcome: changed ? "added" : "present", backup };
}

/** Removes the lab's block; refuses a malformed file with HostsFileError. */
export async function removeHostsBlock(ctx: LabContext): Promise<HostsEdit<"absent" | "removed">> {
  const { changed, backup } = await editHosts(ctx, (current) => withoutHostsBlock(current, ctx.config.profile));
  return { outcome: changed ? "removed" : "absent", backup };
}
