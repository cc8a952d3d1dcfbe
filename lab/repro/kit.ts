import { Ingress } from "kubernetes-models/networking.k8s.io/v1";
import type { LabContext } from "../context.js";
import { applyServerSide, applyServerSideAs, deleteIngress } from "../tools/kubectl.js";
import { labelsFor, NAMES } from "../topology/names.js";
import { PROBE } from "../topology/probe.js";
import { toYamlDocuments } from "../topology/yaml.js";
import { renderManifests } from "../topology/render.js";
import { applyStep } from "../lifecycle/steps/objects.js";
import type { StepReport } from "../lifecycle/step.js";
import { buildCloudReadyStep, etcdQuorumStep } from "../lifecycle/steps/waits.js";
import { notYet, ready, waitFor } from "../wait.js";
import type { ReproTools } from "./scenario.js";

const silent: StepReport = { output: () => undefined, skip: () => undefined, onUndo: () => undefined };

export const REPRO_INGRESS = "anka-lab-repro";
export const REPRO_MANAGER = "anka-lab-repro";

/** The host the repro Ingress answers for; requests reach it on 127.0.0.1:<ingress.port> with this Host. */
export function reproHost(ctx: LabContext): string {
  return `repro.${ctx.config.registry.hostname}`;
}

/**
 * A second Ingress for the probe's prefix on its own host, with exactly the annotations a scenario
 * wants. The lab's own Ingresses stay untouched; the repro one carries the lab's labels, so a
 * lab:up after a crashed repro prunes it.
 */
export async function applyReproIngress(ctx: LabContext, annotations: Record<string, string>): Promise<void> {
  const ingress = new Ingress({
    metadata: {
      name: REPRO_INGRESS,
      namespace: ctx.config.namespace,
      labels: { ...labelsFor(REPRO_INGRESS), "anka-lab/repro": "true" },
      annotations,
    },
    spec: {
      ingressClassName: ctx.config.ingress.className,
      rules: [
        {
          host: reproHost(ctx),
          http: {
            paths: [{ path: PROBE.pathPrefix, pathType: "Prefix", backend: { service: { name: NAMES.registryService, port: { number: ctx.config.probe.port } } } }],
          },
        },
      ],
    },
  });
  ingress.validate();
  await applyServerSideAs(ctx, REPRO_MANAGER, toYamlDocuments([ingress.toJSON()]));
}

/**
 * Applies one rendered lab object with a change, under the lab's field manager (see
 * registry-memory-limit): lab:up, which applies the plain render, then undoes the change.
 */
export async function applyRenderedChange(ctx: LabContext, kind: string, name: string, change: (object: any) => void): Promise<void> {
  const object = structuredClone(renderManifests(ctx.config).objects.find((o) => o.kind === kind && o.metadata.name === name));
  if (!object) throw new Error(`the render has no ${kind}/${name}`);
  change(object);
  await applyServerSide(ctx, toYamlDocuments([object]), { timeoutMs: 60_000 });
}

export async function deleteReproIngress(ctx: LabContext): Promise<void> {
  await deleteIngress(ctx, REPRO_INGRESS);
}

export function ingressUrl(ctx: LabContext): string {
  return `http://127.0.0.1:${ctx.config.ingress.port}`;
}

/** ingress-nginx reloads its config a moment after an Ingress changes; wait until the route answers. */
export async function waitReproRoute(t: ReproTools): Promise<void> {
  await waitFor(
    `the repro Ingress route for ${reproHost(t.ctx)}`,
    async () => ((await t.httpOk(`${ingressUrl(t.ctx)}${PROBE.pathPrefix}/healthz`, reproHost(t.ctx))) ? ready(true) : notYet("no route yet")),
    { ...t.ctx.options.waits, signal: t.ctx.options.signal },
  );
}

/** Puts the lab's rendered topology back (server-side apply) and waits until it serves again. */
export async function reapplyLab(t: ReproTools): Promise<void> {
  await applyStep.run(t.ctx, silent);
  await etcdQuorumStep.run(t.ctx, silent);
  await buildCloudReadyStep.run(t.ctx, silent);
}

export async function waitBuildCloudReady(t: ReproTools): Promise<void> {
  await buildCloudReadyStep.run(t.ctx, silent);
}

export async function waitEtcdQuorum(t: ReproTools): Promise<void> {
  await etcdQuorumStep.run(t.ctx, silent);
}
