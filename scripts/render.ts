#!/usr/bin/env tsx
import { main } from "../lab/cli/command.js";
import { renderCommand, renderSpec } from "../lab/commands/render.js";

main(renderSpec, renderCommand);
