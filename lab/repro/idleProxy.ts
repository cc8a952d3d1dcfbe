import { connect, createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

/**
 * A TCP proxy with an idle cutoff, standing in for a load balancer in front of the registry: an
 * AWS NLB drops a TCP flow after 350 s with no packet either way (configurable 60-6000 s since
 * 2024-09: https://docs.aws.amazon.com/elasticloadbalancing/latest/network/update-idle-timeout.html,
 * https://aws.amazon.com/about-aws/whats-new/2024/09/aws-network-load-balancer-tcp-idle-timeout). Any byte in either
 * direction resets the timer; on expiry both sides get a reset, as the NLB's next packet would.
 */
export interface IdleProxy {
  readonly url: string;
  readonly port: number;
  /** Connections cut by the idle timer. */
  cuts(): number;
  close(): Promise<void>;
}

export async function startIdleProxy(target: { host: string; port: number }, idleMs: number, listenHost = "127.0.0.1"): Promise<IdleProxy> {
  const sockets = new Set<Socket>();
  let cuts = 0;
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    // A socket's timeout counts reads and writes on it, so the client side sees both directions.
    client.setTimeout(idleMs, () => {
      cuts++;
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    });
    client.pipe(upstream).pipe(client);
    for (const s of [client, upstream]) {
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
      s.on("close", () => {
        sockets.delete(s);
        (s === client ? upstream : client).end();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, listenHost, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${listenHost}:${port}`,
    port,
    cuts: () => cuts,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
