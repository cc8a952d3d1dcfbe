#!/usr/bin/env tsx
import { main } from "../lab/cli/command.js";
import { statusCommand, statusSpec } from "../lab/commands/status.js";

main(statusSpec, (args, io) => statusCommand(args, io));
