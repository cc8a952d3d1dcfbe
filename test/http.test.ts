import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, it } from "vitest";
import { httpRequest } from "../lab/transfer/http.js";

it("sends the Host header it is given (ingress-nginx routes on it; fetch would replace it)", async () => {
  const server = createServer((req, res) => res.end(`${req.method} ${req.headers.host} ${req.url}`));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const port = (server.address() as AddressInfo).port;
    const answer = await httpRequest(`http://127.0.0.1:${port}/anka-lab-probe/files/a?x=1`, { method: "DELETE", host: "repro.anka.registry" });
    expect(answer).toEqual({ status: 200, body: "DELETE repro.anka.registry /anka-lab-probe/files/a?x=1" });
  } finally {
    server.close();
  }
});
