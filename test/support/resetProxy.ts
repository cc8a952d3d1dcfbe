import { connect, createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

/**
 * A TCP proxy on 127.0.0.1 that forwards to `port` and resets both sides after `afterBytes`
 * upstream bytes, for the first `connections` connections (all by default); later ones pass.
 */
export async function resetProxy(port: number, afterBytes: number, connections = Infinity): Promise<{ url: string; resets(): number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  let resets = 0;
  const server: Server = createServer((client) => {
    const upstream = connect(port, "127.0.0.1");
    const doomed = accepted++ < connections;
    sockets.add(client).add(upstream);
    upstream.on("error", () => client.destroy());
    let forwarded = 0;
    client.on("data", (chunk) => {
      forwarded += chunk.length;
      if (doomed && forwarded > afterBytes) {
        resets++;
        client.resetAndDestroy();
        upstream.resetAndDestroy();
        return;
      }
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on("drain", () => client.resume());
    upstream.pipe(client);
    for (const s of [client, upstream]) s.on("error", () => undefined).on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    resets: () => resets,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
