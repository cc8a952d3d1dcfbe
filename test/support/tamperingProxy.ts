import { connect, createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

/**
 * A TCP proxy on 127.0.0.1 that forwards to `port` and, once, at byte `at` of what clients send
 * through it, either resets both sides of the connection carrying that byte, as a load balancer's
 * cut does, or flips one bit of it, as a faulty NIC or middlebox would, which TCP's checksum missed.
 * Bytes are counted over all connections in the order they arrive, or with `connection` (0 for the
 * first accepted) within that one only: a push opens one per file, and two overlap.
 */
export async function tamperingProxy(
  port: number,
  at: number,
  action: "reset" | "flip",
  options: { connection?: number } = {},
): Promise<{ url: string; tampered(): boolean; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  let total = 0;
  let tampered = false;
  const server: Server = createServer((client) => {
    const index = accepted++;
    let own = 0;
    const upstream = connect(port, "127.0.0.1");
    sockets.add(client).add(upstream);
    upstream.on("error", () => client.destroy());
    client.on("data", (chunk: Buffer) => {
      const counted = options.connection === undefined || options.connection === index;
      const seen = options.connection === undefined ? total : own;
      total += chunk.length;
      own += chunk.length;
      const here = counted && !tampered && at < seen + chunk.length && at >= seen;
      if (here) tampered = true;
      if (here && action === "reset") {
        client.resetAndDestroy();
        upstream.resetAndDestroy();
        return;
      }
      if (here) chunk.writeUInt8(chunk.readUInt8(at - seen) ^ 0x01, at - seen);
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
