#!/usr/bin/env tsx
import "../lab/cli/requireNode.js";
import { main } from "../lab/cli/main.js";

void main(process.argv.slice(2), "repro");
