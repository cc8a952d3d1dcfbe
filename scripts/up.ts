#!/usr/bin/env tsx
import "../lab/cli/requireNode.js";
import { main } from "../lab/cli/command.js";
import { upCommand, upSpec } from "../lab/commands/up.js";

main(upSpec, (args, io) => upCommand(args, io));
