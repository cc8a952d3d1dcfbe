#!/usr/bin/env tsx
import "../lab/cli/requireNode.js";
import { main } from "../lab/cli/command.js";
import { pushCommand, pushSpec } from "../lab/commands/push.js";

main(pushSpec, (args, io) => pushCommand(args, io));
