import { stringify } from "yaml";

/** Keys that lead, in this order, wherever they appear; the rest follow alphabetically (as kubectl prints). */
const LEADING_KEYS = ["apiVersion", "kind", "metadata", "name", "namespace"];

function rank(key: string): number {
  const index = LEADING_KEYS.indexOf(key);
  return index === -1 ? LEADING_KEYS.length : index;
}

/** A deep copy with keys in a stable order, so a render is byte-identical whatever order builders used. */
export function orderKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(orderKeys);
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([k, v]) => [k, orderKeys(v)]));
}

/**
 * Objects as one multi-document YAML text that YAML 1.1 and YAML 1.2 readers decode alike.
 * kubectl decodes manifests with sigs.k8s.io/yaml, a YAML 1.1 reader (it wraps go-yaml v2;
 * github.com/kubernetes-sigs/yaml, yaml.go), where an unquoted `off`, `on`, `yes`, `y` or `12:30` is
 * not a string: `proxy-buffering: off` then fails to decode as an annotation ("cannot unmarshal bool
 * into Go struct field ObjectMeta.metadata.annotations of type string"). Stringifying for YAML 1.1
 * quotes every scalar that 1.1 would read as another type (eemeli/yaml, docs "Schema options":
 * version '1.1' uses the yaml-1.1 schema), and a quoted scalar is a string in both versions.
 */
export function toYamlDocuments(objects: readonly unknown[]): string {
  return objects.map((o) => stringify(orderKeys(o), { lineWidth: 0, version: "1.1" })).join("---\n");
}
