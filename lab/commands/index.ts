import type { CommandSpec } from "../cli/command.js";
import { doctorSpec, downSpec, pushSpec, renderSpec, reproSpec, smokeSpec, statusSpec, upSpec } from "./specs.js";

/** Every lab command's spec, in the order README lists them. */
export const COMMAND_SPECS: readonly CommandSpec[] = [upSpec, statusSpec, smokeSpec, pushSpec, reproSpec, downSpec, doctorSpec, renderSpec];
