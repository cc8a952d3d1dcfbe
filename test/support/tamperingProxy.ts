import { connect, createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

/**
 * A TCP proxy on 127.0.0.1 that forwards to `port` and, once, at byte `at` of everything clients
 * send through it (counted over all connections, in the order bytes arrive; a push opens one per
 * file), either resets both sides of the connection carrying that byte, as a load balancer's cut
 * does, or flips one bit of it, as a faulty NIC or middlebox would, which TCP's checksum missed.
 */
export async function tamperingProxy(port: number, at: number, action: "reset" | "flip"): Promise<{ url: string; tampered(): boolean; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let seen = 0;
  let tampered = false;
  const server: Server = createServer((client) => {
    const upstream = connect(port, "127.0.0.1");
    sockets.add(client).add(upstream);
    upstream.on("error", () => client.destroy());
    client.on("data", (chunk: Buffer) => {
      const here = !tampered && at < seen + chunk.length;
      if (here) tampered = true;
      if (here && action === "reset") {
        client.resetAndDestroy();
        upstream.resetAndDestroy();
        return;
      }
      if (here) chunk.writeUInt8(chunk.readUInt8(at - seen) ^ 0x01, at - seen);
      seen += chunk.length;
      if (!upstream.write(chunk)) client.pause();
    });
    client.on("end", () => upstream.end());
    upstream.on("drain", () => client.resume());
    upstream.pipe(client);
    for (const s of [client, upstream]) s.on("error", () => undefined).on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tampered: () => tampered,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
