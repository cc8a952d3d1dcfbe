import { request } from "node:http";

/**
 * A small HTTP request over node:http. fetch() cannot be used where the Host header matters:
 * undici replaces a Host header given to fetch with the URL's host (seen with Node 22), and
 * ingress-nginx routes on Host.
 */
export async function httpRequest(
  url: string,
  options: { method?: string; host?: string; timeoutMs?: number } = {},
): Promise<{ status: number; body: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: options.method ?? "GET",
        headers: options.host ? { host: options.host } : {},
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          if (body.length < 65_536) body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(Object.assign(new Error(`no answer from ${target.host} in time`), { code: "ETIMEDOUT" })));
    req.on("error", reject);
    req.end();
  });
}
