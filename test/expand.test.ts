import { describe, expect, it } from "vitest";
import { containerEnv, expandKubeVars } from "./support/expand.js";

/**
 * Cases from kubelet's own table, kubernetes/kubernetes
 * third_party/forked/golang/expansion/expand_test.go (doExpansionTest), with its mapping.
 */
const vars = new Map([
  ["VAR_A", "A"],
  ["VAR_B", "B"],
  ["VAR_C", "C"],
  ["VAR_REF", "$(VAR_A)"],
  ["VAR_EMPTY", ""],
]);
const cases: [string, string, string][] = [
  ["whole string", "$(VAR_A)", "A"],
  ["compound", "$(VAR_A)_$(VAR_B)_$(VAR_C)", "A_B_C"],
  ["escape & expand", "$$(VAR_B)_$(VAR_A)", "$(VAR_B)_A"],
  ["mixed in escapes", "f000-$$VAR_A", "f000-$VAR_A"],
  ["nested var references", "$(VAR_A$(VAR_B))", "$(VAR_A$(VAR_B))"],
  ["value is a reference", "$(VAR_REF)", "$(VAR_A)"],
  ["empty var", "foo$(VAR_EMPTY)bar", "foobar"],
  ["unterminated expression", "foo$(VAR_Awhoops!", "foo$(VAR_Awhoops!"],
  ["shell special vars pass through", "$?_boo_$!", "$?_boo_$!"],
  ["bare operators are ignored", "$VAR_A", "$VAR_A"],
  ["undefined vars are passed through", "$(VAR_DNE)", "$(VAR_DNE)"],
  ["multiple (even) operators, var defined", "$$$$$$(VAR_A)", "$$$(VAR_A)"],
  ["multiple (odd) operators, var defined", "$$$$$$$(VAR_A)", "$$$A"],
  ["shell syntax ignored", "${VAR_A}", "${VAR_A}"],
  ["trailing incomplete expression not consumed", "$(VAR_B)_______$(A", "B_______$(A"],
  ["operator at end of input string is preserved", "$(VAR_A)foobarzab$", "Afoobarzab$"],
  ["lots of $( in middle", "--$($($($($--", "--$($($($($--"],
  ["escaped operators in variable names are not escaped", "$(foo$$var)", "$(foo$$var)"],
];

describe("kubelet $(VAR) expansion", () => {
  it.each(cases)("%s", (_, input, expected) => expect(expandKubeVars(input, vars)).toBe(expected));

  it("builds env in order, with fieldRef values and references to earlier entries only", () => {
    const env = containerEnv(
      [
        { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        { name: "URL", value: "http://$(POD_NAME).$(SVC):2380" },
        { name: "SVC", value: "etcd-headless" },
      ],
      { "metadata.name": "etcd-1", "metadata.namespace": "anka" },
    );
    expect(env.get("URL")).toBe("http://etcd-1.$(SVC):2380");
  });

  it("refuses a fieldRef it cannot fill rather than inventing a value", () => {
    expect(() => containerEnv([{ name: "NODE", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }], { "metadata.name": "p", "metadata.namespace": "n" })).toThrow(/spec\.nodeName/);
  });

  it("reads configMapKeyRef values as the container starts, and refuses a missing required key", () => {
    const pod = { "metadata.name": "etcd-3", "metadata.namespace": "anka" };
    const env = [{ name: "STATE", valueFrom: { configMapKeyRef: { name: "etcd-bootstrap", key: "initial-cluster-state" } } }];
    expect(containerEnv(env, pod, { "etcd-bootstrap": { "initial-cluster-state": "existing" } }).get("STATE")).toBe("existing");
    expect(() => containerEnv(env, pod, {})).toThrow(/etcd-bootstrap has no key initial-cluster-state/);
  });
});
