#!/usr/bin/env tsx
import { main } from "../lab/cli/command.js";
import { reproCommand, reproSpec } from "../lab/commands/repro.js";

main(reproSpec, (args, io) => reproCommand(args, io));
