/// <reference types="vite/client" />
import { describe, expect, it } from "vitest";

/** Every module of the Worker, as source text (read at build time by Vite). */
const SOURCES = import.meta.glob<string>("../worker/**/*.ts", { query: "?raw", import: "default", eager: true });
const modules = new Map(Object.entries(SOURCES).map(([path, text]) => [path.replace(/^\.\.\//, ""), text]));

const STATIC_IMPORT = /^\s*(?:import|export)\s+(type\s+)?([^'";]*?)\s*from\s*["']([^"']+)["']/gm;
const DYNAMIC_IMPORT = /(?<!typeof\s)\bimport\s*\(\s*["']([^"']+)["']\s*\)/g;

/** Resolves a relative specifier to a module path of `worker/`, or null for packages and runtime modules. */
function resolve(from: string, specifier: string): string | null {
  if (!specifier.startsWith(".")) return null;
  const parts = from.split("/").slice(0, -1);
  for (const part of specifier.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  const base = parts.join("/");
  for (const candidate of [`${base}.ts`, `${base}/index.ts`, base]) if (modules.has(candidate)) return candidate;
  throw new Error(`${from}: cannot resolve ${specifier}`);
}

/** The modules each module needs at run time: type-only imports (`import type`, or only `type` specifiers) left out. */
function runtimeImports(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const [path, text] of modules) {
    if (path.endsWith(".d.ts")) continue;
    const edges: string[] = [];
    for (const [, typeOnly, clause, specifier] of text.matchAll(STATIC_IMPORT)) {
      const specifiers = clause!
        .replace(/^\{|\}$/g, "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      const onlyTypes = typeOnly !== undefined || (clause!.startsWith("{") && specifiers.length > 0 && specifiers.every((s) => s.startsWith("type ")));
      const target = resolve(path, specifier!);
      if (target && !onlyTypes) edges.push(target);
    }
    graph.set(path, edges);
  }
  return graph;
}

/** The import cycles of a graph, each as the list of modules around it. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

describe("the Worker's module structure", () => {
  const graph = runtimeImports();

  it("reads every module", () => {
    expect(graph.size).toBeGreaterThan(60);
    expect(graph.get("worker/app.ts")).toContain("worker/routes/campaigns.ts");
  });

  it("has no import cycle (type-only imports aside)", () => {
    expect(cycles(graph).map((c) => c.join(" → "))).toEqual([]);
  });

  it("finds a cycle when there is one", () => {
    const looped = new Map(graph);
    looped.set("worker/lib/errors.ts", [...(graph.get("worker/lib/errors.ts") ?? []), "worker/app.ts"]);
    expect(cycles(looped).length).toBeGreaterThan(0);
  });

  it("only worker/app.ts imports the route modules", () => {
    const importers = [...graph].flatMap(([from, to]) => to.filter((t) => t.startsWith("worker/routes/")).map((t) => `${from} → ${t}`));
    expect(importers.filter((edge) => !edge.startsWith("worker/app.ts → ")).sort()).toEqual([]);
    // Type-only imports of a route module count too: a route's types belong with its use case.
    const typeImporters = [...modules].filter(
      ([path, text]) => path !== "worker/app.ts" && !path.startsWith("worker/routes/") && /from\s+["'][./]*routes\//.test(text),
    );
    expect(typeImporters.map(([path]) => path)).toEqual([]);
  });

  it("hides no dependency behind a dynamic import", () => {
    const dynamic = [...modules]
      .filter(([path]) => !path.endsWith(".d.ts"))
      .flatMap(([path, text]) => [...text.matchAll(DYNAMIC_IMPORT)].map((m) => `${path}: import("${m[1]}")`));
    expect(dynamic).toEqual([]);
  });

  it("speaks of itself: no comment points to a document outside the repository", () => {
    const pointers = [...modules].flatMap(([path, text]) =>
      [...text.matchAll(/\b(?:DESIGN|WHATSAPP|STYLE)\.md\b|\bissue #?\d+\b/gi)].map((m) => `${path}: ${m[0]}`),
    );
    expect(pointers).toEqual([]);
  });

  it("views/ and domain/ need nothing but zod, the phone library and the domain, so the web app can import them", () => {
    const allowedPackages = new Set(["zod", "libphonenumber-js/max"]);
    const outside = [...modules]
      .filter(([path]) => path.startsWith("worker/views/") || path.startsWith("worker/domain/"))
      .flatMap(([path, text]) =>
        [...text.matchAll(STATIC_IMPORT)]
          .map((m) => m[3]!)
          .filter((specifier) => {
            const target = resolve(path, specifier);
            return target === null ? !allowedPackages.has(specifier) : !target.startsWith("worker/domain/") && !target.startsWith("worker/views/");
          })
          .map((specifier) => `${path} → ${specifier}`),
      );
    expect(outside).toEqual([]);
  });
});
