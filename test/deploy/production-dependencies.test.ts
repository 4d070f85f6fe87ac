// What a production install brings: the npm clients of the PBX interfaces (and what they pull in) are only
// used by the benchmarks and tests, so none of them is in the production dependency tree, the product's
// code imports none of them, and the image installs without the development dependencies.

import { execFile } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);

/** Development-only packages: the reference clients the benchmarks compare against, and their baggage. */
const DEV_ONLY = ["asterisk-manager", "ari-client", "modesl", "request", "xml2js"];

interface LockPackage {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/**
 * The packages a production install gets, from the lock file alone: the root's `dependencies` and,
 * transitively, theirs — each resolved as Node does, from the nearest `node_modules` upwards.
 */
function productionClosure(lock: { packages: Record<string, LockPackage> }): Set<string> {
  const packages = lock.packages;
  const resolveFrom = (from: string, name: string): string | undefined => {
    let base = from;
    for (;;) {
      const candidate = base === "" ? `node_modules/${name}` : `${base}/node_modules/${name}`;
      if (packages[candidate]) return candidate;
      if (base === "") return undefined;
      const cut = base.lastIndexOf("/node_modules/");
      base = cut < 0 ? "" : base.slice(0, cut);
    }
  };
  const seen = new Set<string>();
  const visit = (path: string): void => {
    const pkg = packages[path];
    if (!pkg) return;
    const peers = Object.keys(pkg.peerDependencies ?? {}).filter(
      (n) => !pkg.peerDependenciesMeta?.[n]?.optional,
    );
    for (const name of [
      ...Object.keys(pkg.dependencies ?? {}),
      ...Object.keys(pkg.optionalDependencies ?? {}),
      ...peers,
    ]) {
      const found = resolveFrom(path, name);
      if (found && !seen.has(found)) {
        seen.add(found);
        visit(found);
      }
    }
  };
  visit("");
  return new Set([...seen].map((p) => p.slice(p.lastIndexOf("node_modules/") + "node_modules/".length)));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|js|mjs)$/.test(name) ? [path] : [];
  });
}

describe("the production dependency tree", () => {
  it("package-lock.json: no development-only package is reachable from the runtime dependencies", () => {
    const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
    const closure = productionClosure(lock);
    expect(closure.has("fastify"), "the closure is computed").toBe(true);
    expect(DEV_ONLY.filter((name) => closure.has(name))).toEqual([]);
    // npm agrees: every entry of these in the lock file is marked dev.
    for (const [path, pkg] of Object.entries(lock.packages as Record<string, { dev?: boolean }>)) {
      const name = path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
      if (DEV_ONLY.includes(name)) expect(pkg.dev, path).toBe(true);
    }
  });

  it("npm ls --omit=dev on the installed tree lists none of them", async () => {
    const { stdout } = await run("npm", ["ls", "--omit=dev", "--all", "--json"], {
      maxBuffer: 64 * 1024 * 1024,
    }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? "{}" }));
    const names = new Set<string>();
    const walk = (deps: Record<string, { dependencies?: Record<string, unknown> }> | undefined) => {
      for (const [name, dep] of Object.entries(deps ?? {})) {
        names.add(name);
        walk(dep.dependencies as never);
      }
    };
    walk(JSON.parse(stdout).dependencies);
    expect(names.has("fastify")).toBe(true);
    expect(DEV_ONLY.filter((name) => names.has(name))).toEqual([]);
  });

  it("the product's code (src, bin, web) imports none of them; only the benchmarks do", () => {
    const importOf = new RegExp(
      `(from\\s+|import\\s*\\(\\s*|require\\(\\s*)["'](${DEV_ONLY.join("|")})(/[^"']*)?["']`,
    );
    const offenders = ["src", "bin", "web/src"]
      .flatMap(sourceFiles)
      .filter((file) => importOf.test(readFileSync(file, "utf8")));
    expect(offenders).toEqual([]);
    // The check does find such an import where there is one.
    expect(sourceFiles("bench").some((file) => importOf.test(readFileSync(file, "utf8")))).toBe(true);
  });
});

describe("the simulators stay outside the product", () => {
  it("src imports no simulator; only the CLI's `demo` loads the demo, at run time", () => {
    const offenders = sourceFiles("src").filter((file) =>
      /["'][./]*\/simulators\//.test(readFileSync(file, "utf8").replace(/^.*simulators\/demo\.js.*$/gm, "")),
    );
    expect(offenders).toEqual([]);
    expect(readFileSync("src/cli/main.ts", "utf8")).toMatch(
      /await import\("\.\.\/\.\.\/simulators\/demo\.js"\)/,
    );
  });
});

describe("docker/Dockerfile", () => {
  const dockerfile = readFileSync("docker/Dockerfile", "utf8").replace(/\\\n/g, " ");
  const stage = (name: string): string => {
    const start = dockerfile.search(new RegExp(`^FROM .* AS ${name}$`, "m"));
    expect(start, name).toBeGreaterThanOrEqual(0);
    const next = dockerfile.slice(start + 1).search(/^FROM /m);
    return next < 0 ? dockerfile.slice(start) : dockerfile.slice(start, start + 1 + next);
  };
  // The default image is the last stage, `runtime`, built on `base`.
  const product = `${stage("base")}\n${stage("runtime")}`;

  it("the runtime image is the default target, built on base", () => {
    expect(
      dockerfile
        .trimEnd()
        .split("\n")
        .filter((l) => l.startsWith("FROM"))
        .at(-1),
    ).toBe("FROM base AS runtime");
  });

  it("the runtime image installs with --omit=dev and takes no node_modules from the build stage", () => {
    const installs = product.split("\n").filter((l) => /\bnpm (install|ci|i)\b/.test(l));
    expect(installs.length).toBeGreaterThan(0);
    for (const line of installs) expect(line).toContain("--omit=dev");
    expect(product).not.toMatch(/COPY --from=\S+ \S*node_modules/);
  });

  it("the runtime image holds no simulator, captured trace or benchmark; the demo target adds them", () => {
    expect(product).toContain("COPY --from=build /app/dist/src ./dist/src");
    expect(product).not.toMatch(/simulators|test\/fixtures|bench/);
    expect(stage("demo")).toContain("/app/dist/simulators");
    expect(stage("demo")).toContain("test/fixtures/asterisk");
  });
});
