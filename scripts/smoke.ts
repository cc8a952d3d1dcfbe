#!/usr/bin/env tsx
import "../lab/cli/requireNode.js";
import { main } from "../lab/cli/command.js";
import { smokeCommand, smokeSpec } from "../lab/commands/smoke.js";

main(smokeSpec, (args, io) => smokeCommand(args, io));
