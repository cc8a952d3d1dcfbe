#!/usr/bin/env tsx
import "../lab/cli/requireNode.js";
import { main } from "../lab/cli/command.js";
import { downCommand, downSpec } from "../lab/commands/down.js";

main(downSpec, (args, io) => downCommand(args, io));
