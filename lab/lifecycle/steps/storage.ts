import { getStorageClass } from "../../tools/kubectl.js";
import { enableAddon } from "../../tools/minikube.js";
import type { Step } from "../step.js";
import { LabError } from "../../errors.js";

/**
 * The StorageClass behind the shared registry volume. minikube's `standard` (hostpath, one
 * directory per claim on the node) comes from the default-storageclass and storage-provisioner
 * addons (kubernetes/minikube pkg/minikube/assets/addons.go, deploy/addons/storageclass/storageclass.yaml);
 * csi-hostpath-sc, for several nodes, from csi-hostpath-driver
 * (https://minikube.sigs.k8s.io/docs/tutorials/volume_snapshots_and_csi/).
 */
const ADDONS_FOR_CLASS: Record<string, string[]> = {
  standard: ["storage-provisioner", "default-storageclass"],
  "csi-hostpath-sc": ["volumesnapshots", "csi-hostpath-driver"],
};

export const storageStep: Step = {
  id: "storage",
  title: "storage for the shared registry volume",
  summary: "the StorageClass of the shared registry volume; minikube's addons provide standard and csi-hostpath-sc",
  async run(ctx, report) {
    const storageClass = ctx.config.registry.storageClass;
    if (ctx.plannedFreshCluster && storageClass === "standard") {
      report.skip("a new minikube cluster comes with StorageClass standard");
      return;
    }
    if (!ctx.plannedFreshCluster && (await getStorageClass(ctx, storageClass))) {
      report.skip(`StorageClass ${storageClass} exists`);
      return;
    }
    const addons = ctx.usesMinikube ? ADDONS_FOR_CLASS[storageClass] : undefined;
    if (!addons)
      throw new LabError(`StorageClass ${storageClass} does not exist in context ${ctx.kubeContext}`, {
        hint: `set registry.storageClass to one that exists (kubectl --context ${ctx.kubeContext} get storageclass), with ReadWriteMany support`,
      });
    for (const addon of addons) {
      report.output(`enabling addon ${addon} for StorageClass ${storageClass}`);
      await enableAddon(ctx, addon, { timeoutMs: 5 * 60_000 });
    }
  },
};
