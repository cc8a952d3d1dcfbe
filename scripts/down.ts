#!/usr/bin/env tsx
import { main } from "../lab/cli/command.js";
import { downCommand, downSpec } from "../lab/commands/down.js";

main(downSpec, (args, io) => downCommand(args, io));
