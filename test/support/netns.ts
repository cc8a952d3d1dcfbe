import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { randomInt } from "node:crypto";

/**
 * Test hosts as Linux network namespaces on one bridge. Names carry this run's pid, so parallel
 * runs never collide and a later run can sweep what a crashed one left. The only addresses any
 * test talks to are these hosts' own (a random /24 per run) and the bridge's.
 */
export interface TestHost {
  readonly name: string;
  readonly namespace: string;
  readonly ip: string;
}

export const NETNS_PREFIX = "alab";

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

function tryIp(...args: string[]): void {
  try {
    ip(...args);
  } catch {
    // Already gone.
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Removes namespaces, links and hosts files left by runs whose process is gone. */
export function sweepStaleNetworks(): void {
  const names = execFileSync("ip", ["netns", "list"], { encoding: "utf8" })
    .split("\n")
    .map((l) => l.split(" ")[0]!)
    .filter((n) => n.startsWith(NETNS_PREFIX));
  for (const name of names) {
    const pid = Number(/^alab(\d+)x/.exec(name)?.[1]);
    if (Number.isFinite(pid) && !pidAlive(pid)) {
      // Processes a crashed run left inside (etcd members) would keep the namespace alive.
      const inside = execFileSync("ip", ["netns", "pids", name], { encoding: "utf8" }).split("\n").filter(Boolean);
      for (const orphan of inside) {
        try {
          process.kill(Number(orphan), "SIGKILL");
        } catch {
          // Already gone.
        }
      }
      tryIp("netns", "del", name);
      rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
    }
  }
  for (const link of execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" }).split("\n")) {
    const name = /^\d+: ([^:@]+)/.exec(link)?.[1];
    const pid = Number(/^(?:alb|alv)(\d+)x/.exec(name ?? "")?.[1]);
    if (name && Number.isFinite(pid) && !pidAlive(pid)) tryIp("link", "del", name);
  }
}

export class TestNetwork {
  readonly hosts: TestHost[] = [];
  private readonly id: string;
  private readonly bridge: string;
  private readonly subnet: string;

  /** hostnames: one per host; dnsNames: extra names per host that /etc/hosts resolves. */
  constructor(private readonly count: number) {
    this.id = `${process.pid}x${randomInt(36 ** 2).toString(36)}`;
    this.bridge = `alb${this.id}`.slice(0, 15);
    this.subnet = `10.${randomInt(200, 250)}.${randomInt(1, 254)}`;
  }

  get bridgeIp(): string {
    return `${this.subnet}.1`;
  }

  /** Creates the bridge and hosts; call remove() in afterAll even when this throws halfway. */
  create(): void {
    ip("link", "add", this.bridge, "type", "bridge");
    ip("addr", "add", `${this.bridgeIp}/24`, "dev", this.bridge);
    ip("link", "set", this.bridge, "up");
    for (let i = 0; i < this.count; i++) {
      const namespace = `${NETNS_PREFIX}${this.id}h${i}`;
      const outside = `alv${this.id}${i}`.slice(0, 15);
      const inside = `alp${this.id}${i}`.slice(0, 15);
      const address = `${this.subnet}.${10 + i}`;
      this.hosts.push({ name: `host-${i}`, namespace, ip: address });
      ip("netns", "add", namespace);
      ip("link", "add", outside, "type", "veth", "peer", "name", inside);
      ip("link", "set", inside, "netns", namespace);
      ip("link", "set", outside, "master", this.bridge);
      ip("link", "set", outside, "up");
      ip("-n", namespace, "addr", "add", `${address}/24`, "dev", inside);
      ip("-n", namespace, "link", "set", inside, "up");
      ip("-n", namespace, "link", "set", "lo", "up");
    }
  }

  /**
   * Makes names resolve inside every host: `ip netns exec` bind-mounts /etc/netns/<ns>/hosts over
   * /etc/hosts (ip-netns(8)), which is how kube-dns answers for StatefulSet pods in the real lab.
   */
  setHosts(entries: readonly { ip: string; names: readonly string[] }[]): void {
    const text = ["127.0.0.1 localhost", ...entries.map((e) => `${e.ip} ${e.names.join(" ")}`)].join("\n") + "\n";
    for (const host of this.hosts) {
      mkdirSync(`/etc/netns/${host.namespace}`, { recursive: true });
      writeFileSync(`/etc/netns/${host.namespace}/hosts`, text);
    }
  }

  /** Removes everything this network made; safe to call twice or after a failed create(). */
  remove(): void {
    for (const host of this.hosts) {
      tryIp("netns", "del", host.namespace);
      rmSync(`/etc/netns/${host.namespace}`, { recursive: true, force: true });
    }
    tryIp("link", "del", this.bridge);
    if (existsSync("/etc/netns") && readdirSync("/etc/netns").length === 0) rmSync("/etc/netns", { recursive: true, force: true });
  }
}
