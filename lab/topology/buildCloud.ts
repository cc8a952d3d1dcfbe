import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { LabConfig } from "../config/schema.js";
import { CONTAINER_PORTS, NAMES, REGISTRY_BASE_PATH, etcdClientEndpoints, labelsFor, selectorFor, serviceHost } from "./names.js";
import { probeContainer, probeFolderInit, probeVolume } from "./probe.js";
import { preferSpreading } from "./spreading.js";


function resources(cpu: string, memory: string, memoryLimit: string | undefined): IContainer["resources"] {
  return { requests: { cpu, memory }, ...(memoryLimit ? { limits: { memory: memoryLimit } } : {}) };
}

/**
 * Graceful shutdown. The preStop sleep keeps a stopping pod serving while kube-proxy and the
 * ingress controller drop it from their endpoints, which happens in parallel with, not before,
 * SIGTERM (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination); the
 * sleep action needs no shell in the image (KEP-3960, GA in Kubernetes 1.34; the lab runs 1.35).
 * After SIGTERM the controller and registry drain for ANKA_GRACEFUL_SHUTDOWN_TIMEOUT, 10 s by
 * default (Anka configuration reference, controller and registry "General"), so the grace period
 * must cover sleep + drain or kubelet SIGKILLs an upload mid-request.
 */
const PRE_STOP_SLEEP_SECONDS = 5;
const ANKA_DRAIN_SECONDS = 10;
export const BUILD_CLOUD_GRACE_SECONDS = PRE_STOP_SLEEP_SECONDS + ANKA_DRAIN_SECONDS + 15;
const gracefulStop: Pick<IContainer, "lifecycle"> = { lifecycle: { preStop: { sleep: { seconds: PRE_STOP_SLEEP_SECONDS } } } };

function healthProbes(port: number): Pick<IContainer, "readinessProbe" | "livenessProbe"> {
  // /readyz and /livez exist since Build Cloud 1.41.1 and need no auth (Veertu 1.41.1 release notes).
  return {
    readinessProbe: { httpGet: { path: "/readyz", port }, periodSeconds: 5, failureThreshold: 3 },
    livenessProbe: { httpGet: { path: "/livez", port }, initialDelaySeconds: 20, periodSeconds: 10, failureThreshold: 6 },
  };
}

/**
 * The controller. ANKA_ANKA_REGISTRY is the URL Anka nodes use (the registry's LoadBalancer by
 * hostname); ANKA_LOCAL_ANKA_REGISTRY is the in-cluster Service the controller itself can reach
 * (Anka configuration reference, "General & Commonly used").
 */
export function controllerContainer(config: LabConfig): IContainer {
  return {
    name: "controller",
    image: config.controller.image,
    imagePullPolicy: "IfNotPresent",
    env: [
      { name: "ANKA_STANDALONE", value: "false" },
      { name: "ANKA_LISTEN_ADDR", value: `:${CONTAINER_PORTS.controller}` },
      { name: "ANKA_ETCD_ENDPOINTS", value: etcdClientEndpoints(config).join(",") },
      { name: "ANKA_ANKA_REGISTRY", value: `http://${config.registry.hostname}:${config.registry.port}` },
      {
        name: "ANKA_LOCAL_ANKA_REGISTRY",
        value: `http://${serviceHost(config, NAMES.registryService)}:${config.registry.port}`,
      },
      // Controller logs go to the registry's central-logs folder, as every Veertu example sets it:
      // veertuinc/helm-charts charts/anka-build-cloud/README.md (ANKA_ENABLE_CENTRAL_LOGGING: true),
      // veertuinc/getting-started ANKA_BUILD_CLOUD/install-anka-build-controller-and-registry-on-docker.bash
      // (--enable-central-logging), veertuinc/anka-docs configuration reference (export ANKA_ENABLE_CENTRAL_LOGGING="true").
      { name: "ANKA_ENABLE_CENTRAL_LOGGING", value: "true" },
    ],
    ports: [{ name: "controller", containerPort: CONTAINER_PORTS.controller }],
    ...healthProbes(CONTAINER_PORTS.controller),
    ...gracefulStop,
    resources: resources(config.controller.cpuRequest, config.controller.memoryRequest, config.controller.memoryLimit),
  };
}

/**
 * The registry. Since 1.36.0 the images bake in no ENVs, so listen address and base path are set
 * here (Anka release notes 1.36.0). No memory limit unless config insists, and then render refuses:
 * page cache from multi-GiB pushes counts against it (kubernetes/kubernetes#43916).
 */
export function registryContainer(config: LabConfig): IContainer {
  return {
    name: "registry",
    image: config.registry.image,
    imagePullPolicy: "IfNotPresent",
    env: [
      { name: "ANKA_LISTEN_ADDR", value: `:${CONTAINER_PORTS.registry}` },
      { name: "ANKA_BASE_PATH", value: REGISTRY_BASE_PATH },
    ],
    ports: [{ name: "registry", containerPort: CONTAINER_PORTS.registry }],
    ...healthProbes(CONTAINER_PORTS.registry),
    ...gracefulStop,
    resources: resources(config.registry.cpuRequest, config.registry.memoryRequest, config.registry.memoryLimit),
    volumeMounts: [{ name: "registry-data", mountPath: REGISTRY_BASE_PATH }],
  };
}

/**
 * A Deployment, not a StatefulSet: neither container needs a stable identity or a volume of its
 * own. The controller keeps all state in etcd and the registries share one ReadWriteMany claim,
 * which a StatefulSet's per-pod volumeClaimTemplates would split apart.
 */
export function buildBuildCloudDeployment(config: LabConfig): Deployment {
  const probe = config.probe.enabled;
  return new Deployment({
    metadata: { name: NAMES.buildCloud, namespace: config.namespace, labels: labelsFor(NAMES.buildCloud) },
    spec: {
      replicas: config.buildCloud.replicas,
      selector: { matchLabels: selectorFor(NAMES.buildCloud) },
      // Replace one pod at a time so one controller and one registry always serve.
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: labelsFor(NAMES.buildCloud) },
        spec: {
          // Service links would add ANKA_CONTROLLER_PORT=tcp://... and the like into the ANKA_*
          // namespace the controller and registry read their config from.
          enableServiceLinks: false,
          terminationGracePeriodSeconds: BUILD_CLOUD_GRACE_SECONDS,
          affinity: preferSpreading(NAMES.buildCloud),
          ...(probe ? { initContainers: [probeFolderInit(config)] } : {}),
          containers: [controllerContainer(config), registryContainer(config), ...(probe ? [probeContainer(config)] : [])],
          volumes: [
            { name: "registry-data", persistentVolumeClaim: { claimName: NAMES.registryVolume } },
            ...(probe ? [probeVolume()] : []),
          ],
        },
      },
    },
  });
}

/**
 * A drain (minikube node drain, a multi-node upgrade) may take one build-cloud pod at a time, never
 * all: with 1 replica the budget allows none, which blocks a drain until someone scales up; that is
 * the honest answer for a lab that claims HA.
 */
export function buildBuildCloudDisruptionBudget(config: LabConfig): PodDisruptionBudget {
  return new PodDisruptionBudget({
    metadata: { name: NAMES.buildCloudBudget, namespace: config.namespace, labels: labelsFor(NAMES.buildCloud) },
    spec: { minAvailable: 1, selector: { matchLabels: selectorFor(NAMES.buildCloud) } },
  });
}
