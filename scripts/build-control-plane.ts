#!/usr/bin/env tsx
/**
 * Builds the control-plane tier's binaries (test infrastructure only) from the Go module proxy into a
 * version-keyed cache, and does nothing when they are already there. Prints the bin folder on stdout.
 *
 * Why a build module: k8s.io/kubernetes's go.mod replaces every k8s.io/* staging module with a local
 * path (go.mod, `replace k8s.io/api => ./staging/src/k8s.io/api` ...), so `go install
 * k8s.io/kubernetes/cmd/kube-apiserver@v1.35.4` is refused. A module of our own that requires
 * k8s.io/kubernetes and replaces each staging module with its published v0.<minor>.<patch> tag builds
 * the commands. etcd is built from go.etcd.io/etcd/server/v3 (its main.go is the etcd binary) at the
 * version kubernetes' own go.mod requires; kwok from sigs.k8s.io/kwok/cmd/kwok (its go.mod has no
 * replace directives, so it builds as its own module).
 *
 * Usage: npm run cluster:build        (needs Go >= 1.25; minutes cold, about a second warm)
 */
import { $, fs, path, os } from "zx";
import { CONTROL_PLANE, controlPlaneDir } from "../test/cluster/versions.js";

$.verbose = false;
const dir = controlPlaneDir();
const bin = path.join(dir, "bin");
const done = path.join(dir, "complete");
if (await fs.pathExists(done)) {
  console.log(bin);
  process.exit(0);
}

const go = await $`go version`.nothrow();
if (go.exitCode !== 0) {
  console.error("build-control-plane: Go is not installed; install Go >= 1.25 (brew install go, or apt-get install golang) and run again");
  process.exit(1);
}

const { kubernetes, etcd, kwok } = CONTROL_PLANE;
const staging = kubernetes.replace(/^v1\./, "v0.");
// The staging modules k8s.io/kubernetes v1.35.4 replaces (its go.mod, replace block).
const stagingModules = [
  "api", "apiextensions-apiserver", "apimachinery", "apiserver", "cli-runtime", "client-go",
  "cloud-provider", "cluster-bootstrap", "code-generator", "component-base", "component-helpers",
  "controller-manager", "cri-api", "cri-client", "csi-translation-lib", "dynamic-resource-allocation",
  "endpointslice", "externaljwt", "kms", "kube-aggregator", "kube-controller-manager", "kube-proxy",
  "kube-scheduler", "kubectl", "kubelet", "metrics", "mount-utils", "pod-security-admission",
  "sample-apiserver", "sample-cli-plugin", "sample-controller",
];
const commands = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"];

// Build into a sibling folder and rename it into place last: a half-built cache never looks complete.
// Folders a killed build left behind go first.
await fs.mkdirp(path.dirname(dir));
for (const stale of await fs.readdir(path.dirname(dir)))
  if (stale.startsWith(`.${path.basename(dir)}-`)) await fs.remove(path.join(path.dirname(dir), stale));
const work = await fs.mkdtemp(path.join(path.dirname(dir), `.${path.basename(dir)}-`));
const mod = path.join(work, "src");
await fs.mkdirp(mod);
await fs.writeFile(
  path.join(mod, "go.mod"),
  [
    "module anka-lab.test/control-plane",
    "",
    "go 1.25.0",
    "",
    `require k8s.io/kubernetes ${kubernetes}`,
    "",
    "replace (",
    ...stagingModules.map((m) => `\tk8s.io/${m} => k8s.io/${m} ${staging}`),
    ")",
    "",
  ].join("\n"),
);
// A tools file that is never compiled: it makes `go mod tidy` record every package the commands need.
await fs.writeFile(
  path.join(mod, "tools.go"),
  [
    "//go:build tools",
    "",
    "package tools",
    "",
    "import (",
    ...commands.map((c) => `\t_ "k8s.io/kubernetes/cmd/${c}"`),
    `\t_ "go.etcd.io/etcd/server/v3"`,
    ")",
    "",
  ].join("\n"),
);

const started = Date.now();
const step = async (what: string, run: () => Promise<unknown>) => {
  const t = Date.now();
  console.error(`build-control-plane: ${what}`);
  await run();
  console.error(`build-control-plane: ${what}: ${((Date.now() - t) / 1000).toFixed(0)} s`);
};
try {
  const env = { ...process.env, GOFLAGS: "-buildvcs=false", CGO_ENABLED: "0" };
  const out = path.join(work, "bin");
  await fs.mkdirp(out);
  await step(`resolve k8s.io/kubernetes ${kubernetes}`, () =>
    $({ cwd: mod, env })`go get k8s.io/kubernetes@${kubernetes} go.etcd.io/etcd/server/v3@${etcd}`.then(() =>
      $({ cwd: mod, env })`go mod tidy`));
  // The version the binaries report (kube-apiserver /version, kubectl version): Kubernetes sets it at
  // link time with -X on k8s.io/component-base/version and k8s.io/client-go/pkg/version
  // (kubernetes hack/lib/version.sh, kube::version::ldflags); without it they say v0.0.0-master.
  const [major, minor] = kubernetes.replace(/^v/, "").split(".");
  const ldflags = ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"]
    .flatMap((pkg) => [`-X ${pkg}.gitVersion=${kubernetes}`, `-X ${pkg}.gitMajor=${major}`, `-X ${pkg}.gitMinor=${minor}`, `-X ${pkg}.gitTreeState=clean`])
    .join(" ");
  for (const c of commands) {
    await step(`build ${c}`, () => $({ cwd: mod, env })`go build -trimpath -ldflags ${ldflags} -o ${path.join(out, c)} k8s.io/kubernetes/cmd/${c}`);
  }
  await step(`build etcd ${etcd}`, () => $({ cwd: mod, env })`go build -trimpath -o ${path.join(out, "etcd")} go.etcd.io/etcd/server/v3`);
  await step(`build kwok ${kwok}`, () => $({ cwd: mod, env: { ...env, GOBIN: out } })`go install sigs.k8s.io/kwok/cmd/kwok@${kwok}`);
  await fs.writeFile(path.join(work, "complete"), `${JSON.stringify({ ...CONTROL_PLANE, go: go.stdout.trim(), seconds: (Date.now() - started) / 1000 })}\n`);
  await fs.remove(dir);
  await fs.rename(work, dir);
} catch (e) {
  await fs.remove(work);
  const msg = e instanceof Error ? e.message : String(e);
  console.error(`build-control-plane: failed: ${msg.split("\n").slice(-15).join("\n")}`);
  console.error("build-control-plane: check that the Go module proxy is reachable (go env GOPROXY) and run again");
  process.exit(1);
}
console.error(`build-control-plane: built in ${((Date.now() - started) / 1000).toFixed(0)} s on ${os.cpus().length} cores`);
console.log(bin);
