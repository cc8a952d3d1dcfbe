import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { LabContext } from "./context.js";

/** The lab's /etc/hosts lines live between these markers, so they can be found, updated and removed. */
const begin = (profile: string) => `# >>> anka-lab ${profile} >>>`;
const end = (profile: string) => `# <<< anka-lab ${profile} <<<`;

export function hostsBlock(profile: string, names: readonly string[]): string {
  return `${begin(profile)}\n127.0.0.1 ${names.join(" ")}\n${end(profile)}\n`;
}

/** The text without the profile's block (and without anything between its markers). */
export function withoutHostsBlock(text: string, profile: string): string {
  const lines = text.split("\n");
  const start = lines.indexOf(begin(profile));
  const stop = lines.indexOf(end(profile));
  if (start === -1 || stop < start) return text;
  return [...lines.slice(0, start), ...lines.slice(stop + 1)].join("\n");
}

export function withHostsBlock(text: string, profile: string, names: readonly string[]): string {
  const base = withoutHostsBlock(text, profile);
  return (base.endsWith("\n") || base === "" ? base : base + "\n") + hostsBlock(profile, names);
}

export function labHostnames(ctx: LabContext): string[] {
  return [ctx.config.controller.hostname, ctx.config.registry.hostname];
}

function readHosts(file: string): string {
  return existsSync(file) ? readFileSync(file, "utf8") : "";
}

/** Whether every lab hostname already resolves to 127.0.0.1 in the hosts file. */
export function hostsResolved(ctx: LabContext): boolean {
  const text = readHosts(ctx.options.hostsFile);
  return labHostnames(ctx).every((name) =>
    text.split("\n").some((line) => /^127\.0\.0\.1\s/.test(line) && line.split(/\s+/).includes(name)),
  );
}

/**
 * Replaces the hosts file with `next`: a backup copy first, then the new text, both through sudo
 * in the foreground, where its password prompt is visible.
 */
async function writeHosts(ctx: LabContext, next: string): Promise<void> {
  const file = ctx.options.hostsFile;
  const staged = ctx.state.path("hosts.next");
  if (!ctx.dryRun) writeFileSync(staged, next);
  const sudo = ctx.options.needsSudo ? ["sudo"] : [];
  const hint = "/etc/hosts is root's: run again and answer sudo's prompt, or add the lines by hand";
  await ctx.change([...sudo, "cp", file, ctx.state.path("hosts.backup")], { hint, interactive: true });
  await ctx.change([...sudo, "cp", staged, file], { hint, interactive: true });
}

export async function addHostsBlock(ctx: LabContext): Promise<"present" | "added"> {
  const current = readHosts(ctx.options.hostsFile);
  const next = withHostsBlock(current, ctx.config.profile, labHostnames(ctx));
  if (next === current) return "present";
  await writeHosts(ctx, next);
  return "added";
}

export async function removeHostsBlock(ctx: LabContext): Promise<"absent" | "removed"> {
  const current = readHosts(ctx.options.hostsFile);
  const next = withoutHostsBlock(current, ctx.config.profile);
  if (next === current) return "absent";
  await writeHosts(ctx, next);
  return "removed";
}
