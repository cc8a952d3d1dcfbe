import { parseSize } from "../config/size.js";
import { type ParsedArgs } from "./command.js";
import { UsageError } from "../errors.js";

/** A --NAME SIZE flag of at least 1Mi, or the fallback; bad text is one line with an example. */
export function sizeFlag(values: ParsedArgs["values"], name: string, fallback: string, example: string): number {
  const text = typeof values[name] === "string" ? (values[name] as string) : fallback;
  const bytes = parseSize(text);
  if (bytes === undefined || bytes < 2 ** 20) throw new UsageError(`--${name} ${text}: use a size of at least 1Mi, e.g. ${example}`);
  return bytes;
}

/** --seed N, a whole number; undefined when not given. */
export function seedFlag(values: ParsedArgs["values"]): number | undefined {
  if (typeof values.seed !== "string") return undefined;
  const seed = Number(values.seed);
  if (!/^\d+$/.test(values.seed) || !Number.isSafeInteger(seed)) throw new UsageError(`--seed ${values.seed}: use a whole number, e.g. --seed 7`);
  return seed;
}
