#!/usr/bin/env tsx
import "../lab/cli/requireNode.js";
import { main } from "../lab/cli/command.js";
import { doctorCommand, doctorSpec } from "../lab/commands/doctor.js";

main(doctorSpec, (args, io) => doctorCommand(args, io));
