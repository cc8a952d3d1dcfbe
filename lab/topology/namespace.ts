import { Namespace } from "kubernetes-models/v1/Namespace";
import type { LabConfig } from "../config/schema.js";
import { labelsFor } from "./names.js";

export function buildNamespace(config: LabConfig): Namespace {
  return new Namespace({ metadata: { name: config.namespace, labels: labelsFor("namespace") } });
}
