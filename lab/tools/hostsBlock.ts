import { LabError } from "../errors.js";
/**
 * The lab's block in a hosts file, as text: strict parsing, adding, removing, and finding lines
 * that shadow the lab's names. No I/O here; lab/tools/hostsFile.ts reads and writes the file.
 */

/** The lab's /etc/hosts lines live between these markers, so they can be found, updated and removed. */
export const beginMarker = (profile: string) => `# >>> anka-lab ${profile} >>>`;
export const endMarker = (profile: string) => `# <<< anka-lab ${profile} <<<`;

/** A hosts file the lab will not edit, with the line (1-based) and what to do about it. */
export class HostsFileError extends LabError {
  override name = "HostsFileError";
  constructor(
    readonly line: number,
    readonly detail: string,
    readonly file?: string,
  ) {
    super(`${file ? `${file} ` : ""}line ${line}: ${detail}`);
  }
}

interface Lines {
  readonly lines: string[];
  /** The file's own line ending: a CRLF file stays CRLF. */
  readonly eol: "\n" | "\r\n";
}

function splitLines(text: string): Lines {
  const eol = /\r\n/.test(text) ? "\r\n" : "\n";
  return { lines: text.split(/\r?\n/), eol };
}

/** A marker line, ignoring the trailing spaces, tabs and CR an editor may leave. */
const isMarker = (line: string, marker: string) => line.trimEnd() === marker;

/**
 * Where the profile's block is (0-based, inclusive), or undefined when there is none. Refuses a
 * file whose markers do not pair up exactly once, naming the line, since removing from an orphan
 * marker to some later one would delete the user's own lines.
 */
export function findHostsBlock(text: string, profile: string): { start: number; stop: number } | undefined {
  const { lines } = splitLines(text);
  const begins = lines.flatMap((l, i) => (isMarker(l, beginMarker(profile)) ? [i] : []));
  const ends = lines.flatMap((l, i) => (isMarker(l, endMarker(profile)) ? [i] : []));
  const fix = "fix the file by hand (keep one block, or delete the anka-lab lines), then run again";
  if (begins.length > 1) throw new HostsFileError(begins[1]! + 1, `a second "${beginMarker(profile)}" (the first is on line ${begins[0]! + 1}); ${fix}`);
  if (ends.length > 1) throw new HostsFileError(ends[1]! + 1, `a second "${endMarker(profile)}" (the first is on line ${ends[0]! + 1}); ${fix}`);
  const [start] = begins;
  const [stop] = ends;
  if (start === undefined && stop === undefined) return undefined;
  if (stop === undefined) throw new HostsFileError(start! + 1, `"${beginMarker(profile)}" has no "${endMarker(profile)}" after it; ${fix}`);
  if (start === undefined) throw new HostsFileError(stop + 1, `"${endMarker(profile)}" has no "${beginMarker(profile)}" before it; ${fix}`);
  if (stop < start) throw new HostsFileError(stop + 1, `"${endMarker(profile)}" comes before its "${beginMarker(profile)}" on line ${start + 1}; ${fix}`);
  // Only the lab's own kind of line belongs inside: anything else is someone's entry that removal would delete.
  for (let i = start + 1; i < stop; i++) {
    const line = lines[i]!.trim();
    if (line !== "" && !/^127\.0\.0\.1\s+\S/.test(line))
      throw new HostsFileError(i + 1, `"${line.slice(0, 60)}" is inside the anka-lab block but is not the lab's; move it above "${beginMarker(profile)}"`);
  }
  return { start, stop };
}

export function hostsBlock(profile: string, names: readonly string[], eol: "\n" | "\r\n" = "\n"): string {
  return [beginMarker(profile), `127.0.0.1 ${names.join(" ")}`, endMarker(profile), ""].join(eol);
}

/** The text without the profile's block; throws HostsFileError when the block is malformed. */
export function withoutHostsBlock(text: string, profile: string): string {
  const block = findHostsBlock(text, profile);
  if (!block) return text;
  const { lines, eol } = splitLines(text);
  return [...lines.slice(0, block.start), ...lines.slice(block.stop + 1)].join(eol);
}

/** The text with exactly one block for the profile, at the end, in the file's line endings. */
export function withHostsBlock(text: string, profile: string, names: readonly string[]): string {
  const base = withoutHostsBlock(text, profile);
  const { eol } = splitLines(text);
  return (base.endsWith("\n") || base === "" ? base : base + eol) + hostsBlock(profile, names, eol);
}

/** An earlier hosts line that answers for a lab name with another address. */
export interface ShadowingLine {
  readonly name: string;
  /** 1-based. */
  readonly line: number;
  readonly text: string;
  readonly address: string;
}

/**
 * Where each name resolves from this file: the first line that lists it wins. glibc's "files"
 * backend stops at the first matching line unless "multi on" is set in host.conf (host.conf(5)),
 * and macOS reads /etc/hosts the same way. A first match other than 127.0.0.1 shadows the lab's
 * line, wherever the lab's block is.
 */
export function firstEntries(text: string, names: readonly string[]): Map<string, { line: number; text: string; address: string }> {
  const found = new Map<string, { line: number; text: string; address: string }>();
  splitLines(text).lines.forEach((raw, i) => {
    // hosts(5): "#" starts a comment; fields are the address, then names, split by blanks.
    const [address, ...aliases] = raw.replace(/#.*/, "").trim().split(/\s+/);
    if (!address) return;
    for (const name of names) if (!found.has(name) && aliases.includes(name)) found.set(name, { line: i + 1, text: raw.trimEnd(), address });
  });
  return found;
}

/** The lines that send a lab name anywhere but 127.0.0.1. */
export function shadowingLines(text: string, names: readonly string[]): ShadowingLine[] {
  return [...firstEntries(text, names)].filter(([, e]) => e.address !== "127.0.0.1").map(([name, e]) => ({ name, ...e }));
}
