import { connect, createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

/**
 * A TCP proxy on 127.0.0.1 that forwards to `port` and flips one bit of the byte at `offset` of
 * everything clients send through it (counted over all connections, once): a byte corrupted in
 * flight, as a faulty NIC or middlebox would, that TCP's own checksum did not catch.
 */
export async function corruptProxy(port: number, offset: number): Promise<{ url: string; flipped(): boolean; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let seen = 0;
  let flipped = false;
  const server: Server = createServer((client) => {
    const upstream = connect(port, "127.0.0.1");
    sockets.add(client).add(upstream);
    upstream.on("error", () => client.destroy());
    client.on("data", (chunk: Buffer) => {
      if (!flipped && offset < seen + chunk.length) {
        chunk.writeUInt8(chunk.readUInt8(offset - seen) ^ 0x01, offset - seen);
        flipped = true;
      }
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
    flipped: () => flipped,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
