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

/** Objects as one multi-document YAML text. */
export function toYamlDocuments(objects: readonly unknown[]): string {
  return objects.map((o) => stringify(orderKeys(o), { lineWidth: 0 })).join("---\n");
}
