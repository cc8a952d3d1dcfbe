import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, it } from "vitest";
import { httpRequest } from "../lab/transfer/http.js";
import { checkProbe } from "../lab/transfer/fileByFile.js";

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

it("sends USER:PASSWORD@ of the URL as Basic auth, percent-decoded (an Ingress with basic auth asks it of every request)", async () => {
  const server = createServer((req, res) => res.end(String(req.headers.authorization)));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const port = (server.address() as AddressInfo).port;
    const answer = await httpRequest(`http://lab%40user:p%3Ass@127.0.0.1:${port}/anka-lab-probe/healthz`);
    expect(answer.body).toBe(`Basic ${Buffer.from("lab@user:p:ss").toString("base64")}`);
    expect((await httpRequest(`http://127.0.0.1:${port}/`)).body).toBe("undefined");
  } finally {
    server.close();
  }
});

it("the push's health check passes credentials from --to, and a 401 there names the fix without the password", async () => {
  // nginx's own 401 page for auth_basic (ngx_http_special_response.c), as an Ingress with basic auth answers.
  const server = createServer((req, res) => {
    if (req.headers.authorization === `Basic ${Buffer.from("lab:secret").toString("base64")}`) return res.end("ok");
    res.writeHead(401, { "www-authenticate": 'Basic realm="anka"', server: "nginx" });
    res.end("<html>\r\n<head><title>401 Authorization Required</title></head>\r\n<body>\r\n<center><h1>401 Authorization Required</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const port = (server.address() as AddressInfo).port;
    await expect(checkProbe(`http://lab:secret@127.0.0.1:${port}`)).resolves.toBeUndefined();
    const error = await checkProbe(`http://lab:wrong@127.0.0.1:${port}`).catch((e: Error) => e);
    expect(String((error as Error).message)).toBe("401 from nginx: the Ingress asks for credentials; give them in --to as http://USER:PASSWORD@HOST");
    expect(String((error as Error).message)).not.toContain("wrong");
  } finally {
    server.close();
  }
});
