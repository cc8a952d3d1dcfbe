import { blockers, runDoctor, type HostFacts } from "../../checks/doctor.js";
import type { Step } from "../step.js";
import { LabError } from "../../errors.js";

/** lab:up's first step: the doctor's checks; any blocker stops the run before anything changes. */
export function preflightStep(facts?: HostFacts): Step {
  return {
    id: "doctor",
    title: "preflight checks (lab:doctor)",
    summary: "the lab:doctor checks; a blocker stops the run before anything changes",
    async run(ctx, report) {
      const results = await runDoctor(ctx, facts);
      const failed = blockers(results);
      if (failed.length > 0 && ctx.dryRun) {
        // A plan is still useful before the tools are installed: say where a real run would stop.
        for (const f of failed) ctx.plan.push(`preflight would stop a real run: ${f.name}: ${f.detail}${f.fix ? ` (fix: ${f.fix})` : ""}`);
        report.output(`${failed.length} blocker(s); planning anyway (--dry-run)`);
        return;
      }
      if (failed.length > 0)
        throw new LabError(`${failed.length} preflight check(s) failed:\n${failed.map((f) => `  ✗ ${f.name}: ${f.detail}${f.fix ? `\n      fix: ${f.fix}` : ""}`).join("\n")}`, {
          hint: "fix the above, then run npm run lab:up again (npm run lab:doctor re-checks)",
        });
      const warnings = results.filter((r) => r.status === "warn");
      report.output(`${results.length - warnings.length} passed${warnings.length ? `, ${warnings.length} warning(s): ${warnings.map((w) => w.name).join(", ")}` : ""}`);
    },
  };
}
