import { startIdleProxy, type IdleProxy } from "../idleProxy.js";
import { PushError } from "../../transfer/client.js";
import { sampleTemplate } from "../../transfer/sample.js";
import type { Observation, ReproTools, Scenario } from "../scenario.js";
import { probeLoadBalancerUrl } from "../../observe.js";

/**
 * The silent phase is 1.5 times the idle timeout, as when a registry finishes a large layer before
 * answering; the fix gives the load balancer an idle timeout twice the silent phase.
 */
const silentMs = (t: ReproTools) => t.options.idleSeconds * 1500;

/**
 * The push client's stall watch (no byte moving for 120 s by default, lab/transfer/client.ts)
 * pauses during a requested hold, so the deliberate silent phase is not taken for a stall. The
 * stall time is still set beyond it, at twice the silent phase: longer than act's idle timeout (so
 * the proxy's cut is what ends act) and equal to verify's.
 */
export const stallMsFor = (t: ReproTools) => silentMs(t) * 2;

async function throughProxy(t: ReproTools, idleMs: number, seed: number): Promise<Observation> {
  const target = new URL(await probeLoadBalancerUrl(t.ctx));
  const proxy: IdleProxy = await startIdleProxy({ host: target.hostname, port: Number(target.port) }, idleMs);
  t.memo.proxy = proxy;
  try {
    const template = sampleTemplate(Math.min(t.options.size, 4 * 2 ** 20), seed);
    const evidence = [`idle timeout ${idleMs / 1000} s, silent phase ${silentMs(t) / 1000} s after each file's body, stall watch ${stallMsFor(t) / 1000} s`];
    try {
      await t.push({ to: proxy.url, template, holdMs: silentMs(t), stallMs: stallMsFor(t), attempts: 1 });
      return { symptom: false, summary: `the push completed through an idle timeout of ${idleMs / 1000} s`, evidence: [...evidence, `connections cut: ${proxy.cuts()}`] };
    } catch (error) {
      if (!(error instanceof PushError) || proxy.cuts() === 0) throw error;
      return { symptom: true, summary: `the idle timeout cut the push during its silent phase`, evidence: [...evidence, `connections cut: ${proxy.cuts()}`, error.message] };
    }
  } finally {
    await proxy.close();
    t.memo.proxy = undefined;
  }
}

export const scenario: Scenario = {
  name: "idle-timeout",
  summary: "an NLB-like idle cutoff (350 s, scaled with --idle-seconds) drops a push with a long silent phase; a longer idle timeout fixes it",
  facts: [
    "AWS NLB TCP idle timeout is 350 s by default, configurable 60-6000 s since 2024-09 (tcp.idle_timeout.seconds); TLS listeners stay at 350 s (https://docs.aws.amazon.com/elasticloadbalancing/latest/network/update-idle-timeout.html)",
    "Veertu: with an NLB's immutable 350 s, registry push/pull can time out; use an ALB with a longer idle timeout (https://docs.veertu.com/anka/anka-build-cloud/high-availability/with-kubernetes/, FAQ)",
  ],
  async setup() {
    // The proxy is started per push, below, between this machine and the registry LoadBalancer.
  },
  act: (t) => throughProxy(t, t.options.idleSeconds * 1000, 521),
  async fix() {
    // The remedy is a longer idle timeout on the load balancer; verify runs with one.
  },
  verify: (t) => throughProxy(t, silentMs(t) * 2, 522),
  async restore(t) {
    await (t.memo.proxy as IdleProxy | undefined)?.close();
  },
};
