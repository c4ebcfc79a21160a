/**
 * Which Chromium the browser tests drive: `CHROMIUM_PATH`, else the system's, else the build inside
 * the dev dependency `@sparticuz/chromium` (so `npm install && npm test` needs no browser of its own).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { accessSync, constants, createReadStream, createWriteStream, readdirSync } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { createBrotliDecompress } from "node:zlib";
import { type Browser, chromium } from "playwright-core";
import { x as untar } from "tar";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const SYSTEM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

export interface FoundChromium {
  from: "CHROMIUM_PATH" | "system" | "@sparticuz/chromium";
  executablePath: string;
  /** what the launch adds to the environment (the bundled build's libraries and fonts) */
  env?: Record<string, string>;
}

/** Starts the Chromium that {@link findChromium} finds, headless, with playwright-core. */
export async function launchChromium(): Promise<Browser> {
  const found = await findChromium();
  return chromium.launch({
    executablePath: found.executablePath,
    ...(found.env ? { env: { ...process.env, ...found.env } } : {}),
  });
}

export async function findChromium(): Promise<FoundChromium> {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!runnable(fromEnv))
      assert.fail(`CHROMIUM_PATH is ${fromEnv}, which is not an executable file: fix or unset it`);
    return { from: "CHROMIUM_PATH", executablePath: fromEnv };
  }
  const system = systemChromium();
  if (system) return { from: "system", executablePath: system };
  bundled ??= bundledChromium(join(ROOT, "node_modules/.cache/tailor-chromium")).catch((e) => {
    bundled = undefined;
    throw e;
  });
  return bundled;
}
let bundled: Promise<FoundChromium> | undefined;

/** Debian's or Ubuntu's Chromium, or one named `chromium` on PATH. */
export function systemChromium(): string | undefined {
  const onPath = spawnSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], {
    encoding: "utf8",
  }).stdout?.trim();
  return [...SYSTEM, onPath].find((p) => p && runnable(p));
}

function runnable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Extracts @sparticuz/chromium's brotli files once per version into CACHE/VERSION: the headless
 * shell with SwiftShader beside it (its software GL), the NSS libraries it links (from the package's
 * Amazon Linux layer: a bare Debian has none) and its fonts. Several test processes may ask at once:
 * each extracts into its own folder and renames it into place, so a folder under its final name is
 * always whole; a loser of the race drops its copy.
 */
export async function bundledChromium(cache: string): Promise<FoundChromium> {
  const pkg = packageFolder();
  const { version } = JSON.parse(await readFile(join(pkg, "package.json"), "utf8")) as {
    version: string;
  };
  const dir = join(cache, version);
  const found: FoundChromium = {
    from: "@sparticuz/chromium",
    executablePath: join(dir, "chromium"),
    env: {
      LD_LIBRARY_PATH: [join(dir, "lib"), process.env.LD_LIBRARY_PATH].filter(Boolean).join(":"),
      FONTCONFIG_FILE: join(dir, "fonts.conf"),
    },
  };
  if (await exists(dir)) return found;
  await mkdir(cache, { recursive: true });
  await dropAbandoned(cache);
  const part = join(
    cache,
    `${version}.partial-${process.pid}-${Math.random().toString(36).slice(2)}`,
  );
  try {
    const bin = join(pkg, "bin");
    await mkdir(join(part, "fonts"), { recursive: true });
    await Promise.all([
      pipeline(
        createReadStream(join(bin, "chromium.br")),
        createBrotliDecompress({ chunkSize: 2 ** 21 }),
        createWriteStream(join(part, "chromium"), { mode: 0o755 }),
      ),
      untar({ file: join(bin, "swiftshader.tar.br"), cwd: part, brotli: true }),
      untar({ file: join(bin, "al2023.tar.br"), cwd: part, brotli: true }),
      untar({ file: join(bin, "fonts.tar.br"), cwd: join(part, "fonts"), brotli: true }),
    ]);
    // the package's fonts.conf names Lambda's folders: the system's fonts when there are any, and its own
    await writeFile(
      join(part, "fonts.conf"),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n` +
        `  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n` +
        `  <dir>${join(dir, "fonts")}</dir>\n  <cachedir>${join(dir, "fonts-cache")}</cachedir>\n</fontconfig>\n`,
    );
    await rename(part, dir).catch(async (e: NodeJS.ErrnoException) => {
      // another process renamed its whole copy into place first: use that one
      if (!["ENOTEMPTY", "EEXIST"].includes(e.code ?? "") || !(await exists(dir))) throw e;
    });
  } finally {
    await rm(part, { recursive: true, force: true });
  }
  return found;
}

function packageFolder(): string {
  try {
    // build/index.js is the package's only export
    return dirname(dirname(createRequire(import.meta.url).resolve("@sparticuz/chromium")));
  } catch {
    return assert.fail(
      "No Chromium: set CHROMIUM_PATH, install one (`apt-get install chromium`), or run `npm install` " +
        "(the dev dependency @sparticuz/chromium carries one)",
    );
  }
}

/** Removes what extractions killed half-way left behind (their process is gone). */
async function dropAbandoned(cache: string): Promise<void> {
  for (const name of readdirSync(cache)) {
    const pid = Number(/\.partial-(\d+)-/.exec(name)?.[1]);
    if (pid && !alive(pid)) await rm(join(cache, name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
