import { request } from "node:https";

/**
 * A minimal client of the test API server, for the harness's own work (readiness, nodes, volumes,
 * LoadBalancer status) where spawning kubectl hundreds of times would cost more than the test.
 * Everything the lab itself does goes through the real kubectl.
 */
export interface ApiServer {
  readonly server: string;
  readonly token: string;
}

export interface ApiResponse {
  readonly status: number;
  readonly body: any;
}

export function api(
  target: ApiServer,
  method: string,
  path: string,
  body?: unknown,
  contentType = "application/json",
): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      `${target.server}${path}`,
      {
        method,
        // The test API server's certificate is self-signed (kube-apiserver --cert-dir); loopback only.
        rejectUnauthorized: false,
        headers: {
          authorization: `Bearer ${target.token}`,
          accept: "application/json",
          ...(payload === undefined ? {} : { "content-type": contentType, "content-length": Buffer.byteLength(payload) }),
        },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // readyz answers plain text.
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on("error", reject);
    req.end(payload);
  });
}
