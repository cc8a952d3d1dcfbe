#!/usr/bin/env tsx
/**
 * npm run bench:transfer [-- --size 1Gi --big 8Gi --rounds 5]: the push client against curl -T over
 * local nginx, with figures and ratios against the curl baseline measured in the same run. A
 * benchmark, not a test: it prints, and marks each target ✓ or ✗. The glue is scripts/bench/transfer.ts (zx).
 */
import { main } from "../lab/cli/command.js";
import { UsageError } from "../lab/errors.js";
import { sizeFlag } from "../lab/cli/flags.js";
import { formatBytes } from "../lab/config/size.js";
import { benchTransfer } from "./bench/transfer.js";
import { formatRate } from "../lab/transfer/progress.js";

main(
  {
    name: "bench:transfer",
    summary: "measure the push client against curl -T over local nginx: rate, time to first byte, memory; and the generator",
    flags: [
      { name: "size", type: "string", value: "SIZE", description: "bytes per client/curl round (default 1Gi)" },
      { name: "big", type: "string", value: "SIZE", description: "the large push for time to first byte and peak memory (default 8Gi; needs twice that free under the temp folder)" },
      { name: "rounds", type: "string", value: "N", description: "client/curl rounds, interleaved; the medians count (default 5)" },
      { name: "tmpfs", type: "boolean", description: "the probe stores in /dev/shm (Linux), not on the temp folder's disk: the path where CPU alone decides, without writeback and fsync" },
    ],
    details: [
      "Needs nginx and curl. Everything runs on 127.0.0.1. Targets: client >= 1.0 x curl -T at --size, the client",
      "hashing every byte it sends within its own time; the first byte of the --big push within a second;",
      "peak RSS at --big within 10% of --size and under 150 MB; generation >= 1 GB/s on one core.",
    ].join("\n"),
  },
  async (args, io) => {
    const size = sizeFlag(args.values, "size", "1Gi", "1Gi");
    const bigSize = sizeFlag(args.values, "big", "8Gi", "8Gi");
    if (bigSize < size) throw new UsageError(`--big ${String(args.values.big)}: use a size at least --size, e.g. 8Gi`);
    const roundsText = typeof args.values.rounds === "string" ? args.values.rounds : "5";
    if (!/^[1-9]\d?$/.test(roundsText)) throw new UsageError(`--rounds ${roundsText}: use a whole number from 1 to 99, e.g. --rounds 5`);
    const f = await benchTransfer((l) => io.out(l), { size, bigSize, rounds: Number(roundsText), tmpfs: args.flag("tmpfs") });
    const mb = (b: number) => (b / 1e6).toFixed(1);
    const ratio = f.clientBytesPerSecond / f.curlBytesPerSecond;
    const bigRatio = f.big.bytesPerSecond / f.bigCurlBytesPerSecond;
    const rssRatio = f.big.maxRssBytes / f.small.maxRssBytes;
    const big = formatBytes(bigSize);
    const rows: [string, string, boolean | undefined][] = [
      [`client / curl at ${formatBytes(size)} (median)`, `${formatRate(f.clientBytesPerSecond)} / ${formatRate(f.curlBytesPerSecond)} = ${ratio.toFixed(2)}`, ratio >= 1.0],
      [`client / curl at ${big}`, `${formatRate(f.big.bytesPerSecond)} / ${formatRate(f.bigCurlBytesPerSecond)} = ${bigRatio.toFixed(2)}`, undefined],
      [`first byte at ${big}`, `client ${f.clientFirstByteMs} ms, curl ${f.curlFirstByteMs} ms`, f.clientFirstByteMs < 1000],
      [`longest wait between files`, `client ${f.clientLongestGapMs} ms, curl ${f.curlLongestGapMs} ms`, undefined],
      [`peak RSS ${big} / ${formatBytes(size)}`, `${mb(f.big.maxRssBytes)} MB / ${mb(f.small.maxRssBytes)} MB = ${rssRatio.toFixed(2)}`, rssRatio <= 1.1 && f.big.maxRssBytes < 150e6],
      ["generator", formatRate(f.generatorBytesPerSecond), f.generatorBytesPerSecond >= 1e9],
    ];
    io.out("\nresults:");
    const width = Math.max(...rows.map(([name]) => name.length));
    // ✓ or ✗ against a target; a figure without a target gets a dot.
    for (const [name, value, met] of rows) io.out(`  ${met === undefined ? "·" : met ? "✓" : "✗"} ${name.padEnd(width)}  ${value}`);
    return 0;
  },
);
