import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The layout docs/architecture.md describes, checked against the tree: a newcomer must be able to
 * trust the note. Reads the source as text (imports, argv literals); runs nothing.
 */
const root = join(import.meta.dirname, "..");
const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
const rel = (path: string) => relative(root, path);
const labFiles = walk(join(root, "lab")).filter((f) => /\.(ts|mjs)$/.test(f));
const source = new Map(labFiles.map((f) => [rel(f), readFileSync(f, "utf8")]));

/** The lab files a module imports: static `from "./x.js"`, `import("./x.js")`, and `new URL("./x", import.meta.url)`. */
function imports(file: string, options: { dynamic: boolean }): string[] {
  const text = source.get(file)!;
  // `import type` is erased at compile time: it loads nothing.
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b(?!\s+type\b)[^;]*?\bfrom\s+"(\.[^"]+)"/g)].map((m) => m[1]!);
  if (options.dynamic) specs.push(...[...text.matchAll(/import\(\s*"(\.[^"]+)"\s*\)|new URL\(\s*"(\.[^"]+)",\s*import\.meta\.url\)/g)].map((m) => (m[1] ?? m[2])!));
  return specs.flatMap((spec) => {
    const target = rel(resolve(dirname(join(root, file)), spec));
    if (spec.endsWith("/")) return [...source.keys()].filter((f) => f.startsWith(target + "/"));
    const candidates = [target, target.replace(/\.js$/, ".ts")];
    return candidates.filter((c) => source.has(c));
  });
}

function reachable(from: string, options: { dynamic: boolean }): Set<string> {
  const seen = new Set<string>();
  const queue = [from];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    queue.push(...imports(file, options));
  }
  return seen;
}

describe("the tree is the architecture", () => {
  it("every file in lab/ is reached from the CLI's entry: nothing there is imported only by tests or benchmarks", () => {
    const used = reachable("lab/cli/main.ts", { dynamic: true });
    expect([...source.keys()].filter((f) => !used.has(f))).toEqual([]);
  });

  it("argv is built only in lab/tools/ (and the runner's own ps in lab/exec/)", () => {
    const argvHead = /\[\s*"(kubectl|minikube|docker|sudo|openssl|ps|curl|etcdctl|du|sh|brew)"|\bctx\.kubectl\(|\bgetList\(|\bgetOne\(/;
    const offenders = [...source]
      .filter(([file]) => !file.startsWith("lab/tools/") && !file.startsWith("lab/exec/"))
      .flatMap(([file, text]) =>
        text
          .split("\n")
          .map((line, i) => ({ line: line.trim(), at: `${file}:${i + 1}` }))
          // Comments, zod enums and a container's command in a manifest are not argv the lab runs.
          .filter(({ line }) => !/^(\*|\/\/)|\.enum\(|^command: \[/.test(line) && argvHead.test(line))
          .map(({ at, line }) => `${at}: ${line.slice(0, 100)}`),
      );
    expect(offenders).toEqual([]);
  });

  it("nothing imports upward: the adapters and the runner know no step, check, scenario or command", () => {
    const lower = [...source.keys()].filter((f) => /^lab\/(tools|exec)\//.test(f) || /^lab\/(errors|wait|state|context|observe|diagnose)\.ts$/.test(f));
    const upper = /^lab\/(lifecycle|checks|repro|commands|cli)\//;
    const upward = lower.flatMap((f) => imports(f, { dynamic: true }).filter((t) => upper.test(t)).map((t) => `${f} -> ${t}`));
    expect(upward).toEqual([]);
  });

  it("lab:up's and lab:down's lists load no renderer before their first step (kubernetes-models loads in apply)", () => {
    for (const list of ["lab/lifecycle/up.ts", "lab/lifecycle/down.ts"]) {
      const loaded = [...reachable(list, { dynamic: false })];
      expect(loaded.filter((f) => /^lab\/topology\/(render|topology|yaml|etcd|buildCloud|ingress|probe)\.ts$/.test(f)), list).toEqual([]);
      const heavy = loaded.filter((f) => /from "(kubernetes-models|yaml|zod)[/"]/.test(source.get(f)!));
      expect(heavy, list).toEqual([]);
    }
  });

  it("docs/architecture.md names every folder of lab/ and every loose file, and nothing that is not there", () => {
    const note = readFileSync(join(root, "docs", "architecture.md"), "utf8");
    const named = new Set([...note.matchAll(/`(lab\/[\w./-]*?)`/g)].map((m) => m[1]!.replace(/\/$/, "")));
    const folders = readdirSync(join(root, "lab")).map((n) => `lab/${n}`);
    expect(folders.filter((f) => !named.has(f))).toEqual([]);
    expect([...named].filter((n) => !source.has(n) && !folders.includes(n) && !labFiles.some((f) => rel(f).startsWith(n + "/")))).toEqual([]);
  });
});

it("every path README.md and docs/architecture.md name in backquotes exists", () => {
  const missing = ["README.md", "docs/architecture.md"].flatMap((doc) =>
    [...readFileSync(join(root, doc), "utf8").matchAll(/`((?:lab|scripts|test|bin|docs|manifests)\/[\w./-]*)`/g)]
      .map((m) => m[1]!.replace(/\/$/, ""))
      .filter((path) => !/[<>*]/.test(path))
      .filter((path) => !existsSync(join(root, path)))
      .map((path) => `${doc}: ${path}`),
  );
  expect(missing).toEqual([]);
});
