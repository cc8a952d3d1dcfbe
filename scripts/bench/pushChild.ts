// Runs one push in its own process and prints its figures, so peak RSS is the client's alone.
import { pushTemplate } from "../../lab/transfer/client.js";
import { sampleTemplate } from "../../lab/transfer/sample.js";

const [to, size, seed] = process.argv.slice(2);
const result = await pushTemplate({ to: to!, template: sampleTemplate(Number(size), Number(seed)) });
// resourceUsage().maxRSS is in kilobytes (Node docs, process.resourceUsage).
process.stdout.write(JSON.stringify({ bytes: result.bytes, seconds: result.seconds, bytesPerSecond: result.bytesPerSecond, maxRssBytes: process.resourceUsage().maxRSS * 1024 }) + "\n");
