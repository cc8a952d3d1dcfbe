import { UsageError, type CommandSpec, type Io, type ParsedArgs } from "../cli/command.js";
import { formatBytes } from "../config/size.js";
import { seedFlag, sizeFlag } from "../cli/flags.js";
import { readFileSync } from "node:fs";
import { pushTemplate, redactUrl, type PushResult } from "../push/client.js";
import { chooseRenderer, taskList, type RendererChoice } from "../cli/tasks.js";
import { formatDuration, formatProgress, formatRate } from "../push/progress.js";
import { sampleTemplate } from "../template/sample.js";

export const pushSpec: CommandSpec = {
  name: "lab:push",
  summary: "push a generated sample VM template through the lab's push path and verify it",
  flags: [
    { name: "to", type: "string", value: "URL", description: "where: the registry's probe port (http://127.0.0.1:8087) or its Ingress (http://anka.registry:8080)" },
    { name: "size", type: "string", value: "SIZE", description: "total template size, e.g. 4Gi (default 1Gi, at least 1Mi)" },
    { name: "seed", type: "string", value: "N", description: "which sample: the same seed and size give the same bytes (default 1)" },
    { name: "token", type: "string", value: "TOKEN", description: "the lab's probe token, when the probe requires one (default: $ANKA_LAB_PROBE_TOKEN)" },
    { name: "cacert", type: "string", value: "FILE", description: "for https:// URLs: PEM file of the CA that signed the server's certificate" },
    { name: "insecure", type: "boolean", description: "for https:// URLs: accept any certificate (lab-only, self-signed)" },
    { name: "json", type: "boolean", description: "print the result as JSON" },
  ],
  details: `The template (a config yaml, nvram, .ank layers and a state file) is generated on the fly and never
written to your disk. Each file is streamed with bounded memory to the lab-only transfer probe,
which stores it on the shared registry volume only if its size and sha256 match. Transient failures
(resets, 502/503/504) are retried with backoff; a 413 or another refusal is explained and not retried.
Credentials in --to (http://USER:PASSWORD@HOST) are sent as Basic auth and never printed.`,
  examples: [
    "npm run lab:push -- --to http://127.0.0.1:8087 --size 4Gi",
    "npm run lab:push -- --to http://anka.registry:8080 --size 2Gi --seed 7",
    "npm run lab:push -- --to https://anka.registry:8443 --cacert lab-ca.pem --token $(cat .lab/probe-token)",
  ],
};

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
  const token = typeof values.token === "string" ? values.token : env.ANKA_LAB_PROBE_TOKEN;
  // A header value cannot hold spaces or control characters in a bearer token (RFC 6750 section 2.1, b64token).
  if (token !== undefined && !/^[A-Za-z0-9\-._~+/]+=*$/.test(token))
    throw new UsageError(`${typeof values.token === "string" ? "--token" : "ANKA_LAB_PROBE_TOKEN"}: not a usable token (empty, or spaces or symbols in it); use the token lab:up generated`);
  return { to: url.toString().replace(/\/$/, ""), size, seed: seedFlag(values) ?? 1, token, ca, insecure };
}

export async function pushCommand(args: ParsedArgs, io: Io, deps: { signal?: AbortSignal; renderer?: RendererChoice } = {}): Promise<number> {
  const { to, size, seed, token, ca, insecure } = parsePushArgs(args.values, io.env);
  const template = sampleTemplate(size, seed);
  const controller = new AbortController();
  const onSigint = () => controller.abort(new Error("interrupted"));
  if (!deps.signal) process.once("SIGINT", onSigint);
  const renderer = deps.renderer ?? chooseRenderer(process.stderr);
  // A terminal redraws often; CI logs get a line every 5 s.
  const every = renderer === "default" ? 250 : 5000;
  let result: PushResult | undefined;
  try {
    await taskList(
      [
        {
          title: `push ${template.name}: ${template.files.length} files, ${formatBytes(size)} to ${redactUrl(to)}`,
          task: async (_, task) => {
            let last = 0;
            result = await pushTemplate({
              to,
              template,
              token,
              ca,
              insecure,
              signal: deps.signal ?? controller.signal,
              onProgress: (p) => {
                const now = Date.now();
                if (now - last >= every || p.totalBytes === p.totalSize) {
                  last = now;
                  task.output = formatProgress(p);
                }
              },
              onRetry: (file, attempt, error) => (task.output = `retrying ${file} (attempt ${attempt + 1}): ${error.message}`),
            });
            task.title = `pushed ${formatBytes(result.bytes)} in ${formatDuration(result.seconds)}: ${formatRate(result.bytesPerSecond)}`;
          },
        },
      ],
      renderer,
      { exitOnError: true },
    ).run();
  } finally {
    process.off("SIGINT", onSigint);
  }
  const done = result!;
  if (args.values.json) io.out(JSON.stringify({ to: redactUrl(to), template: template.name, ...done }, null, 2));
  else {
    for (const f of done.files) io.out(`  ✓ ${f.path}  ${formatBytes(f.size)}  sha256 ${f.sha256.slice(0, 16)}…  stored by ${f.pod}${f.attempts > 1 ? `  (${f.attempts} attempts)` : ""}`);
    io.out(`pushed ${formatBytes(done.bytes)} in ${formatDuration(done.seconds)}: ${formatRate(done.bytesPerSecond)}, every sha256 verified by the probe`);
  }
  return 0;
}
