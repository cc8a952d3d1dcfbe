import { type Io, type ParsedArgs } from "../cli/command.js";
import { UsageError } from "../errors.js";
import { formatBytes } from "../config/size.js";
import { seedFlag, sizeFlag } from "../cli/flags.js";
import { readFileSync } from "node:fs";
import { storedProbeToken } from "../transfer/probeToken.js";
import { defaultStateDir } from "../state.js";
import { interruptible, stoppedLine } from "../cli/signals.js";
import { redactUrl, type FileResult, type PushResult } from "../transfer/client.js";
import { checkProbe, pushFileByFile, removeStored } from "../transfer/fileByFile.js";
import { chooseRenderer, taskList, type RendererChoice } from "../cli/tasks.js";
import { formatDuration, formatRate } from "../transfer/progress.js";
import { sampleTemplate, type TemplateFile } from "../transfer/sample.js";

export { pushSpec } from "./specs.js";

export interface PushArgs {
  readonly to: string;
  readonly size: number;
  readonly seed: number;
  readonly token?: string;
  readonly ca?: string;
  readonly insecure: boolean;
}

/** Checks --to, --size, --seed, --token and the TLS flags; bad input is one line naming the fix. */
export function parsePushArgs(values: ParsedArgs["values"], env: NodeJS.ProcessEnv = {}): PushArgs {
  const to = values.to;
  if (typeof to !== "string") throw new UsageError("--to URL is required, e.g. --to http://127.0.0.1:8087");
  // Every message shows --to without its credentials.
  const shown = redactUrl(to);
  let url: URL;
  try {
    url = new URL(to);
  } catch {
    throw new UsageError(`--to ${shown}: not a URL; use http://HOST:PORT, e.g. http://127.0.0.1:8087`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`--to ${shown}: only http:// and https:// URLs are supported`);
  if (url.search || url.hash) throw new UsageError(`--to ${shown}: drop the ?query and #fragment; give the base URL`);
  const size = sizeFlag(values, "size", "1Gi", "4Gi or 512Mi");
  const tls = url.protocol === "https:";
  const cacert = typeof values.cacert === "string" ? values.cacert : undefined;
  const insecure = values.insecure === true;
  if ((cacert !== undefined || insecure) && !tls) throw new UsageError(`--cacert and --insecure apply to https:// URLs only; --to ${shown} is plain http`);
  if (cacert !== undefined && insecure) throw new UsageError("--cacert and --insecure contradict each other: give the CA to check against, or skip the check");
  let ca: string | undefined;
  if (cacert !== undefined) {
    try {
      ca = readFileSync(cacert, "utf8");
    } catch (error) {
      throw new UsageError(`--cacert ${cacert}: cannot read it (${(error as NodeJS.ErrnoException).code}); give the PEM file of the CA that signed the server's certificate`);
    }
    if (!ca.includes("-----BEGIN CERTIFICATE-----")) throw new UsageError(`--cacert ${cacert}: no PEM certificate in it (no "-----BEGIN CERTIFICATE-----" line)`);
  }
  // The lab's own token (lab:up keeps it in .lab/probe-token) unless one is given.
  const token = typeof values.token === "string" ? values.token : (env.ANKA_LAB_PROBE_TOKEN ?? storedProbeToken(defaultStateDir(env)));
  // A header value cannot hold spaces or control characters in a bearer token (RFC 6750 section 2.1, b64token).
  if (token !== undefined && !/^[A-Za-z0-9\-._~+/]+=*$/.test(token))
    throw new UsageError(`${typeof values.token === "string" ? "--token" : "ANKA_LAB_PROBE_TOKEN"}: not a usable token (empty, or spaces or symbols in it); use the token lab:up generated`);
  return { to: url.toString().replace(/\/$/, ""), size, seed: seedFlag(values) ?? 1, token, ca, insecure };
}

/** The command that runs this push again: the flags given, a password or token shown as ***. */
function pushAgain(args: ParsedArgs, to: string): string {
  const argv = ["npm run lab:push --", "--to", redactUrl(to), "--size", args.string("size") ?? "1Gi"];
  const seed = args.string("seed");
  if (seed !== undefined) argv.push("--seed", seed);
  if (args.string("token") !== undefined) argv.push("--token", "***");
  const cacert = args.string("cacert");
  if (cacert !== undefined) argv.push("--cacert", cacert);
  if (args.flag("insecure")) argv.push("--insecure");
  if (args.flag("json")) argv.push("--json");
  return argv.join(" ");
}

export async function pushCommand(args: ParsedArgs, io: Io, deps: { signal?: AbortSignal; renderer?: RendererChoice } = {}): Promise<number> {
  const startedAt = Date.now();
  const { to, size, seed, token, ca, insecure } = parsePushArgs(args.values, io.env);
  const access = { token, ca, insecure };
  await checkProbe(to, undefined, access);
  const template = sampleTemplate(size, seed);
  const interrupt = interruptible(deps);
  const renderer = deps.renderer ?? chooseRenderer(process.stderr);
  // A terminal redraws often; CI logs get a line every 5 s.
  const every = renderer === "default" ? 250 : 5000;
  const committed: FileResult[] = [];
  const inFlight = new Set<TemplateFile>();
  let result: PushResult | undefined;
  try {
    await taskList(
      [
        {
          title: `push ${template.name}: ${template.files.length} files, ${formatBytes(size)} to ${redactUrl(to)}`,
          task: async (_, task) => {
            let last = 0;
            const shown = new Set<string>();
            // A line when a file first shows and at each retry, else at most one per `every` (two
            // open files, one of them sent again after a failure, take turns without flooding a CI log).
            const show = (line: string) => {
              const now = Date.now();
              const file = /^\S+/.exec(line)?.[0] ?? "";
              if (now - last >= every || !shown.has(file) || file === "retrying") {
                last = now;
                shown.add(file);
                task.output = line;
              }
            };
            try {
              result = await pushFileByFile({ to, ...access, template, signal: interrupt.signal, committed, show, startedAt, inFlight });
            } catch (error) {
              // No stale progress line (an ETA, a percentage) under the ✖.
              task.output = "";
              throw error;
            }
            // Wall time, the health check included: what the user sat through.
            task.title = `pushed ${formatBytes(result.bytes)} in ${formatDuration(result.seconds)}: ${formatRate(result.bytesPerSecond)}`;
            task.output = "";
          },
        },
      ],
      renderer,
      { exitOnError: true },
    ).run();
  } catch (error) {
    if (!interrupt.signal.aborted) throw error;
    const removed = await removeStored({ to, template, ...access }, committed, inFlight);
    io.err(
      stoppedLine(
        interrupt,
        `after ${committed.length} of ${template.files.length} files; removed the ${removed} file(s) this run had stored, so the probe keeps nothing of it`,
        pushAgain(args, to),
      ),
    );
    return interrupt.exitCode;
  } finally {
    interrupt.dispose();
  }
  const done = result!;
  if (args.flag("json")) io.out(JSON.stringify({ to: redactUrl(to), template: template.name, ...done }, null, 2));
  else {
    for (const f of done.files) io.out(`  ✓ ${f.path}  ${formatBytes(f.size)}  sha256 ${f.sha256.slice(0, 16)}…  stored by ${f.pod}${f.attempts > 1 ? `  (${f.attempts} attempts)` : ""}`);
    io.out(`pushed ${formatBytes(done.bytes)} in ${formatDuration(done.seconds)}: ${formatRate(done.bytesPerSecond)}, every sha256 verified by the probe`);
  }
  return 0;
}
