/**
 * Kubernetes `$(VAR)` expansion of command, args and env values, as kubelet does it
 * (kubernetes/kubernetes third_party/forked/golang/expansion/expand.go):
 * `$(NAME)` becomes the value when NAME is defined and stays as written when it is not;
 * `$$` is an escaped `$`, so `$$(NAME)` yields the literal `$(NAME)`; any other `$` is literal.
 */
export function expandKubeVars(input: string, vars: ReadonlyMap<string, string>): string {
  let out = "";
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (ch !== "$" || i + 1 >= input.length) {
      out += ch;
      i++;
      continue;
    }
    const next = input[i + 1]!;
    if (next === "$") {
      out += "$";
      i += 2;
    } else if (next === "(") {
      const close = input.indexOf(")", i + 2);
      if (close === -1) {
        // No closing paren: kubelet keeps the rest as written.
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      out += vars.has(name) ? vars.get(name)! : `$(${name})`;
      i = close + 1;
    } else {
      out += ch + next;
      i += 2;
    }
  }
  return out;
}

interface EnvVarLike {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string }; configMapKeyRef?: { name: string; key: string; optional?: boolean } };
}

/** ConfigMaps a pod's env may read, by name, as `data` maps. */
export type ConfigMapData = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** The downward-API fields kubelet can put into env (the ones the lab's manifests use). */
export interface PodFields {
  readonly "metadata.name": string;
  readonly "metadata.namespace": string;
  readonly "status.podIP"?: string;
}

/**
 * A container's environment as kubelet builds it: in order, each value expanded against the
 * variables defined before it, fieldRef values from the pod, configMapKeyRef values from the
 * ConfigMaps as they are when the container starts (a missing required key is kubelet's
 * CreateContainerConfigError, so it throws here).
 */
export function containerEnv(env: readonly EnvVarLike[] | undefined, pod: PodFields, configMaps: ConfigMapData = {}): Map<string, string> {
  const vars = new Map<string, string>();
  for (const e of env ?? []) {
    const ref = e.valueFrom?.configMapKeyRef;
    if (ref) {
      const value = configMaps[ref.name]?.[ref.key];
      if (value !== undefined) vars.set(e.name, value);
      else if (!ref.optional) throw new Error(`env ${e.name}: configmap ${ref.name} has no key ${ref.key} (kubelet: CreateContainerConfigError)`);
    } else if (e.valueFrom?.fieldRef) {
      const value = (pod as unknown as Record<string, string | undefined>)[e.valueFrom.fieldRef.fieldPath];
      if (value === undefined) throw new Error(`env ${e.name}: fieldRef ${e.valueFrom.fieldRef.fieldPath} is not supported here`);
      vars.set(e.name, value);
    } else {
      vars.set(e.name, expandKubeVars(e.value ?? "", vars));
    }
  }
  return vars;
}
