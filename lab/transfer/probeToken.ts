import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { LabContext } from "../context.js";
import { getSecretArgv } from "../tools/kubectl.js";
import { NAMES, labelsFor } from "../topology/names.js";

/**
 * The per-lab token the transfer probe requires for PUT and DELETE (lab/transfer/probeServer.mjs,
 * PROBE_TOKEN): made once, kept in .lab/probe-token (mode 0600) for lab:push, lab:smoke and
 * lab:repro, and in the Secret the probe container reads it from. A lab whose .lab/ is gone (another
 * checkout, a new machine) takes the token back from that Secret rather than making a second one.
 */
export const PROBE_TOKEN_FILE = "probe-token";
export const PROBE_TOKEN_KEY = "token";

/** The token in a state folder, if one is there. */
export function storedProbeToken(stateDir: string): string | undefined {
  const file = join(stateDir, PROBE_TOKEN_FILE);
  return existsSync(file) ? readFileSync(file, "utf8").trim() || undefined : undefined;
}

/** The lab's token: from .lab/, else from the cluster's Secret, else a new one (none under --dry-run). */
export async function ensureProbeToken(ctx: LabContext): Promise<string | undefined> {
  const stored = storedProbeToken(ctx.state.dir);
  if (stored) return stored;
  if (!ctx.plannedFreshCluster) {
    const secret = await ctx.run(getSecretArgv(ctx, NAMES.probeToken), { allowFailure: true, timeoutMs: 30_000 });
    const data = secret.exitCode === 0 ? (JSON.parse(secret.stdout) as { data?: Record<string, string> }).data?.[PROBE_TOKEN_KEY] : undefined;
    if (data) return remember(ctx, Buffer.from(data, "base64").toString("utf8"));
  }
  if (ctx.dryRun) {
    ctx.plan.push(`generate the probe's token into ${ctx.state.path(PROBE_TOKEN_FILE)} (mode 0600) and Secret ${ctx.config.namespace}/${NAMES.probeToken}`);
    return undefined;
  }
  // 32 random bytes as hex: a bearer token's b64token grammar allows it (RFC 6750 section 2.1).
  return remember(ctx, randomBytes(32).toString("hex"));
}

function remember(ctx: LabContext, token: string): string {
  if (ctx.dryRun) return token;
  const file = ctx.state.path(PROBE_TOKEN_FILE);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

/** The Secret the probe container's PROBE_TOKEN comes from. */
export function probeTokenSecret(ctx: LabContext, token: string): object {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: NAMES.probeToken, namespace: ctx.config.namespace, labels: labelsFor(NAMES.probeToken) },
    type: "Opaque",
    data: { [PROBE_TOKEN_KEY]: Buffer.from(token).toString("base64") },
  };
}

/**
 * A short digest of the token for the pod template: a new token changes the template, so the pods
 * restart and read it (env from a Secret is read once, at container start:
 * https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-environment-variables).
 */
export function probeTokenDigest(token: string): string {
  return createHash("sha256").update(token).digest("hex").slice(0, 16);
}
