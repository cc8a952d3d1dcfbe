import type { IAffinity } from "kubernetes-models/v1/Affinity";
import { selectorFor } from "./names.js";

/**
 * Preferred (not required) anti-affinity: replicas spread over nodes when there are several, and
 * still schedule on a one-node minikube, where a required rule would leave pods Pending.
 */
export function preferSpreading(component: string): IAffinity {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: selectorFor(component) } },
        },
      ],
    },
  };
}
