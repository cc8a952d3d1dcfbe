/**
 * Health of the Anka services through their LoadBalancers. Controller GET /api/v1/status and
 * registry GET /registry/status answer {"status":"OK","body":{"status":"Running",…}} (Veertu's
 * controller and registry API docs: veertuinc/anka-docs anka-build-cloud/working-with-controller-and-API.md
 * and anka-build-cloud/working-with-registry-and-API.md).
 */
export interface ServiceHealth {
  readonly ok: boolean;
  readonly detail: string;
}

export const CONTROLLER_STATUS_PATH = "/api/v1/status";
export const REGISTRY_STATUS_PATH = "/registry/status";

export async function ankaStatus(url: string, timeoutMs = 5000): Promise<ServiceHealth> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    let json: { status?: string; body?: { status?: string; version?: string } } = {};
    try {
      json = JSON.parse(text);
    } catch {
      return { ok: false, detail: `${url} answered ${response.status} with no JSON: ${text.slice(0, 80)}` };
    }
    const ok = response.ok && json.status === "OK" && (json.body?.status ?? "Running") === "Running";
    return { ok, detail: `${url}: ${response.status} ${json.status ?? "?"}${json.body?.version ? ` (version ${json.body.version})` : ""}` };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    return { ok: false, detail: `${url}: ${cause}` };
  }
}
