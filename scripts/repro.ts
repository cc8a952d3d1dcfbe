#!/usr/bin/env tsx
import "../lab/cli/requireNode.js";
import { main } from "../lab/cli/command.js";
import { reproCommand, reproSpec } from "../lab/commands/repro.js";

main(reproSpec, (args, io) => reproCommand(args, io));
