import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand, type Io } from "../lab/cli/command.js";
import { captureIo } from "./support/io.js";
import { pushCommand, pushSpec } from "../lab/commands/push.js";
import { startProbe, type RunningProbe } from "./support/localProbe.js";
import { freePort } from "./support/ports.js";
import { pushFileByFile } from "../lab/transfer/fileByFile.js";
import { sampleTemplate } from "../lab/transfer/sample.js";


const push = (io: Io, ...argv: string[]) => runCommand(pushSpec, (args, i) => pushCommand(args, i, { renderer: "silent" }), argv, io);

describe("lab:push", () => {
  let probe: RunningProbe;
  beforeAll(async () => {
    probe = await startProbe();
  });
  afterAll(async () => probe?.stop());

  it("pushes a sample to a probe and lists each verified file", async () => {
    const io = captureIo();
    expect(await push(io, "--to", probe.url, "--size", "6Mi", "--seed", "3")).toBe(0);
    expect(io.stdout.slice(0, 4).map((l) => l.trim().split("  ")[0])).toEqual([
      "✓ anka-lab-sample-3-6291456.yaml",
      "✓ nvram",
      "✓ images/layer-0.ank",
      "✓ state_files/suspend.ank",
    ]);
    expect(io.stdout.at(-1)).toMatch(/^pushed 6\.0 MiB in \d+s: [\d.]+ MB\/s, every sha256 verified by the probe$/);
  });

  it("counts the run's time from its start (wall time), and shows a rate and ETA only once they are known", async () => {
    const lines: string[] = [];
    const template = sampleTemplate(16 * 2 ** 20, 4);
    // A run that began 3 s ago (the health check, say): its time and rate count those seconds too.
    const result = await pushFileByFile({ to: probe.url, template, signal: new AbortController().signal, show: (line) => lines.push(line), startedAt: Date.now() - 3000 });
    expect(result.seconds).toBeGreaterThanOrEqual(3);
    expect(result.bytesPerSecond).toBeLessThanOrEqual(template.totalSize / 3);
    // The yaml's 100 bytes came after 3 s: no rate from them, however long the run has been going.
    expect(lines[0]).toMatch(/^anka-lab-sample-4-\d+\.yaml 100% \(.*\), total 0% of 16\.0 MiB, measuring the rate$/);
    expect(lines.at(-1)).toMatch(/^state_files\/suspend\.ank 100% .*, total 100% of 16\.0 MiB, [\d.]+ MB\/s, ETA 0s$/);
  });

  it.each([
    [["--size", "1Gi"], "anka-lab: --to URL is required, e.g. --to http://127.0.0.1:8087"],
    [["--to", "127.0.0.1:8087"], "anka-lab: --to 127.0.0.1:8087: not a URL; use http://HOST:PORT, e.g. http://127.0.0.1:8087"],
    [["--to", "ftp://127.0.0.1:8087"], "anka-lab: --to ftp://127.0.0.1:8087: only http:// and https:// URLs are supported"],
    [["--to", "http://127.0.0.1:8087", "--insecure"], "anka-lab: --cacert and --insecure apply to https:// URLs only; --to http://127.0.0.1:8087 is plain http"],
    [["--to", "not a url"], "anka-lab: --to not a url: not a URL; use http://HOST:PORT, e.g. http://127.0.0.1:8087"],
    [["--to", "http://127.0.0.1:1", "--size", "12"], "anka-lab: --size 12: use a size of at least 1Mi, e.g. 4Gi or 512Mi"],
    [["--to", "http://127.0.0.1:1", "--seed", "x"], "anka-lab: --seed x: use a whole number, e.g. --seed 7"],
  ])("refuses %j in one line", async (argv, line) => {
    const io = captureIo();
    expect(await push(io, ...argv)).toBe(2);
    expect(io.stderr).toEqual([line]);
  });

  it("checks --to before anything else: an unreachable URL is one line at once, with no checksum and no retries", async () => {
    const io = captureIo();
    const port = await freePort();
    const started = Date.now();
    expect(await push(io, "--to", `http://127.0.0.1:${port}`, "--size", "8Gi")).toBe(1);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(io.stderr).toEqual([`anka-lab: nothing listens at 127.0.0.1:${port}: is the lab up and its tunnel running (npm run lab:status)?`]);
  });

  it("says a URL that is not the probe is not the probe, before any byte is sent", async () => {
    const io = captureIo();
    expect(await push(io, "--to", `${probe.url}/anka-lab-probe`, "--size", "1Mi")).toBe(1);
    expect(io.stderr.at(-1)).toMatch(/answered HTTP 404, not the transfer probe's health; .* without \/anka-lab-probe$/);
  });
});
