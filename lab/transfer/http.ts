import { request } from "node:http";
import { request as tlsRequest } from "node:https";

/** What reaching the probe may take: its token, and for https:// the CA or no check at all. */
export interface ProbeAccess {
  readonly token?: string;
  readonly ca?: string;
  readonly insecure?: boolean;
}

/**
 * A small HTTP request over node:http. fetch() cannot be used where the Host header matters:
 * undici replaces a Host header given to fetch with the URL's host (seen with Node 22), and
 * ingress-nginx routes on Host.
 */
export async function httpRequest(
  url: string,
  options: { method?: string; host?: string; timeoutMs?: number } & ProbeAccess = {},
): Promise<{ status: number; body: string }> {
  const target = new URL(url);
  const tls = target.protocol === "https:";
  return new Promise((resolve, reject) => {
    const req = (tls ? tlsRequest : request)(
      {
        hostname: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: options.method ?? "GET",
        // USER:PASSWORD@ in the URL, as http.request(url) takes it: the Basic auth header, decoded
        // as node's urlToHttpOptions does (https://nodejs.org/api/http.html#httprequestoptions-callback, options.auth).
        ...(target.username ? { auth: `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}` } : {}),
        headers: {
          ...(options.host ? { host: options.host } : {}),
          // RFC 6750 section 2.1: the bearer token in the Authorization header.
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
        timeout: options.timeoutMs ?? 10_000,
        // https.request takes tls.connect's ca and rejectUnauthorized (https://nodejs.org/api/https.html#httpsrequestoptions-callback).
        ...(tls ? { ca: options.ca, rejectUnauthorized: !options.insecure, servername: options.host ?? target.hostname } : {}),
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
