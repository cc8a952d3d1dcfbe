import { parseSize } from "../config/size.js";
import { stringFlag, type FlagValues } from "./command.js";
import { UsageError } from "../errors.js";

/** A --NAME SIZE flag of at least 1Mi, or the fallback; bad text is one line with an example. */
export function sizeFlag(values: FlagValues, name: string, fallback: string, example: string): number {
  const text = stringFlag(values, name) ?? fallback;
  const bytes = parseSize(text);
  if (bytes === undefined || bytes < 2 ** 20) throw new UsageError(`--${name} ${text}: use a size of at least 1Mi, e.g. ${example}`);
  return bytes;
}

/** --seed N, a whole number; undefined when not given. */
export function seedFlag(values: FlagValues): number | undefined {
  const text = stringFlag(values, "seed");
  if (text === undefined) return undefined;
  const seed = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(seed)) throw new UsageError(`--seed ${text}: use a whole number, e.g. --seed 7`);
  return seed;
}
