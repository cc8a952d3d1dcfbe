/**
 * A minimal etcd v3 client over the JSON gateway every member serves on its client URL
 * (https://etcd.io/docs/v3.5/dev-guide/api_grpc_gateway/; /v3/ paths since v3.4). Keys and values
 * travel base64-encoded. No dependency, so lab:smoke can use it through a port-forward too.
 */
const b64 = (text: string) => Buffer.from(text).toString("base64");

export class EtcdError extends Error {
  override name = "EtcdError";
}

async function call(endpoint: string, path: string, body: unknown, timeoutMs: number): Promise<any> {
  let response: Response;
  try {
    response = await fetch(`${endpoint}${path}`, {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "content-type": "application/json" },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    throw new EtcdError(`${endpoint}${path}: ${cause}`);
  }
  const json = (await response.json().catch(() => ({}))) as { error?: string; message?: string };
  if (!response.ok || json.error) throw new EtcdError(`${endpoint}${path}: ${json.message ?? json.error ?? response.status}`);
  return json;
}

export async function etcdPut(endpoint: string, key: string, value: string, timeoutMs = 5000): Promise<void> {
  await call(endpoint, "/v3/kv/put", { key: b64(key), value: b64(value) }, timeoutMs);
}

/** The value of a key, or undefined if absent. Linearizable: it needs a quorum. */
export async function etcdGet(endpoint: string, key: string, timeoutMs = 5000): Promise<string | undefined> {
  const json = await call(endpoint, "/v3/kv/range", { key: b64(key) }, timeoutMs);
  const kv = json.kvs?.[0];
  return kv ? Buffer.from(kv.value ?? "", "base64").toString() : undefined;
}

export interface EtcdMember {
  readonly name: string;
  readonly clientURLs: readonly string[];
}

export async function etcdMembers(endpoint: string, timeoutMs = 5000): Promise<EtcdMember[]> {
  const json = await call(endpoint, "/v3/cluster/member/list", {}, timeoutMs);
  return (json.members ?? []).map((m: any) => ({ name: m.name ?? "", clientURLs: m.clientURLs ?? [] }));
}

/** GET /health: {"health":"true"} when the member sees a leader (https://etcd.io/docs/v3.5/op-guide/monitoring/). */
export async function etcdHealthy(endpoint: string, timeoutMs = 3000): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    const json = (await response.json()) as { health?: string };
    return response.ok && json.health === "true";
  } catch {
    return false;
  }
}
