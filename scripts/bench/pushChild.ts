// One push in its own process (scripts/bench/transfer.ts): its figures on stdout, so peak RSS is the client's alone.
import { pushTemplate } from "../../lab/transfer/client.js";
import { sampleTemplate } from "../../lab/transfer/sample.js";

const [to, size, seed] = process.argv.slice(2);
// When the push began, on the same clock as nginx's log: the time to first byte counts from here.
const startedAt = Date.now();
const result = await pushTemplate({ to: to!, template: sampleTemplate(Number(size), Number(seed)) });
// resourceUsage().maxRSS is in kilobytes (https://nodejs.org/api/process.html#processresourceusage).
process.stdout.write(JSON.stringify({ startedAt, bytesPerSecond: result.bytesPerSecond, maxRssBytes: process.resourceUsage().maxRSS * 1024 }) + "\n");
