#!/usr/bin/env node
// Builds the studio (studio/ -> studio/dist) with Vite; skipped while its sources and the lock file
// are unchanged since the last build. Run by `npm install` (postinstall) and by the studio's tests.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const studio = join(root, "studio");
const dist = join(studio, "dist");
const stampFile = join(dist, ".build-stamp");

function stamp() {
  const hash = createHash("sha256");
  const files = readdirSync(studio, { recursive: true })
    .map(String)
    .filter((f) => !f.startsWith("dist") && !f.includes("node_modules"))
    .sort();
  for (const f of files) {
    const path = join(studio, f);
    try {
      hash.update(`${f}\0`).update(readFileSync(path));
    } catch {
      // a folder
    }
  }
  // The studio imports its types from protocol/: any change there may change the build.
  const shared = readdirSync(join(root, "protocol"), { recursive: true })
    .map((f) => join("protocol", String(f)))
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
    .sort();
  for (const f of ["package-lock.json", ...shared])
    hash.update(`${f}\0`).update(readFileSync(join(root, f)));
  return hash.digest("hex");
}

const want = stamp();
const force = process.argv.includes("--force");
if (!force && existsSync(stampFile) && readFileSync(stampFile, "utf8").trim() === want) {
  console.log(`studio: up to date (${relative(root, dist)})`);
  process.exit(0);
}
const started = Date.now();
const { build } = await import("vite");
await build({ configFile: join(studio, "vite.config.ts"), logLevel: "warn" });
writeFileSync(stampFile, `${want}\n`);
console.log(
  `studio: built into ${relative(root, dist)} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
