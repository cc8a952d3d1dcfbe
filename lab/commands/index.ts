import type { CommandSpec } from "../cli/command.js";
import { doctorSpec } from "./doctor.js";
import { pushSpec } from "./push.js";
import { reproSpec } from "./repro.js";
import { smokeSpec } from "./smoke.js";
import { downSpec } from "./down.js";
import { renderSpec } from "./render.js";
import { statusSpec } from "./status.js";
import { upSpec } from "./up.js";

/** Every lab command's spec, in the order README lists them. */
export const COMMAND_SPECS: readonly CommandSpec[] = [upSpec, statusSpec, smokeSpec, pushSpec, reproSpec, downSpec, doctorSpec, renderSpec];
