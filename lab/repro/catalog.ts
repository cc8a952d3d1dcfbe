import { readdirSync } from "node:fs";
import type { Scenario } from "./scenario.js";

const FOLDER = new URL("./scenarios/", import.meta.url);

/** Every scenario: one file each in scenarios/, exporting `scenario`; adding a file adds a scenario. */
export async function loadScenarios(): Promise<Scenario[]> {
  const files = readdirSync(FOLDER)
    .filter((f) => /\.(ts|js|mjs)$/.test(f) && !f.endsWith(".d.ts"))
    .sort();
  const scenarios: Scenario[] = [];
  for (const file of files) {
    const mod = (await import(new URL(file, FOLDER).href)) as { scenario?: Scenario };
    if (!mod.scenario) throw new Error(`lab/repro/scenarios/${file} exports no \`scenario\``);
    if (mod.scenario.name !== file.replace(/\.(ts|js|mjs)$/, "")) throw new Error(`lab/repro/scenarios/${file} names its scenario "${mod.scenario.name}"; name the file after it`);
    scenarios.push(mod.scenario);
  }
  return scenarios;
}
