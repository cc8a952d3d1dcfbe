#!/usr/bin/env tsx
import "../lab/cli/requireNode.js";
import { main } from "../lab/cli/command.js";
import { statusCommand, statusSpec } from "../lab/commands/status.js";

main(statusSpec, (args, io) => statusCommand(args, io));
