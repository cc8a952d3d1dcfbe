#!/usr/bin/env tsx
// No requireNode: lab:render spawns nothing and runs on an older Node too.
import { main } from "../lab/cli/main.js";

void main(process.argv.slice(2), "render");
