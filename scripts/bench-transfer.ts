#!/usr/bin/env tsx
import { main } from "../lab/cli/command.js";
import { UsageError } from "../lab/errors.js";
import { sizeFlag } from "../lab/cli/flags.js";
import { benchTransfer } from "./bench/transfer.js";
import { formatRate } from "../lab/transfer/progress.js";

main(
  {
    name: "bench:transfer",
    summary: "measure the push client against curl -T over local nginx, its memory at 1 and 8 GiB, and the generator",
    flags: [
      { name: "size", type: "string", value: "SIZE", description: "bytes per client/curl run (default 1Gi)" },
      { name: "big", type: "string", value: "SIZE", description: "the large run for peak memory (default 8Gi; needs that much free disk for the probe)" },
    ],
    details: "Needs nginx and curl. Everything runs on 127.0.0.1. Targets: client >= 0.9 x curl; peak RSS at the\nlarge size within 10% of the small one and under 150 MB; generation >= 1 GB/s on one core.",
  },
  async (args, io) => {
    const size = sizeFlag(args.values, "size", "1Gi", "1Gi");
    const bigSize = sizeFlag(args.values, "big", "8Gi", "8Gi");
    if (bigSize < size) throw new UsageError(`--big ${String(args.values.big)}: use a size at least --size, e.g. 8Gi`);
    const f = await benchTransfer((l) => io.out(l), { size, bigSize });
    const mb = (b: number) => (b / 1e6).toFixed(1);
    const ratio = f.clientBytesPerSecond / f.curlBytesPerSecond;
    const rssRatio = f.rss8GiB / f.rss1GiB;
    const rows = [
      ["client / curl (median)", `${formatRate(f.clientBytesPerSecond)} / ${formatRate(f.curlBytesPerSecond)} = ${ratio.toFixed(2)}`, ratio >= 0.9],
      ["peak RSS big / small", `${mb(f.rss8GiB)} MB / ${mb(f.rss1GiB)} MB = ${rssRatio.toFixed(2)}`, rssRatio <= 1.1 && f.rss8GiB < 150e6],
      ["generator", formatRate(f.generatorBytesPerSecond), f.generatorBytesPerSecond >= 1e9],
    ] as const;
    io.out("\nresults:");
    for (const [name, value, met] of rows) io.out(`  ${met ? "✓" : "✗"} ${name.padEnd(22)} ${value}`);
    return 0;
  },
);
