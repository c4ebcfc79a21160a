/**
 * The Chromium the browser tests fall back on when the machine has none: the one inside the dev
 * dependency @sparticuz/chromium, extracted by several test processes at once. Runs on every
 * machine, so CI checks this path even where a system Chromium exists.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { after, test } from "node:test";
import { chromium } from "playwright-core";
import { bundledChromium, findChromium } from "./chromium.ts";

const cache = mkdtempSync(join(tmpdir(), "tailor-chromium-"));
after(() => rmSync(cache, { recursive: true, force: true }));

test("two extractions at once give one whole Chromium that renders text, and clear what a killed one left", async () => {
  const dead = spawnSync(process.execPath, ["-e", ""]).pid; // a process that has ended
  mkdirSync(join(cache, `0.0.0.partial-${dead}-abandoned`), { recursive: true });
  const [a, b] = await Promise.all([bundledChromium(cache), bundledChromium(cache)]);
  assert.deepEqual(a, b);
  assert.equal(a?.from, "@sparticuz/chromium");
  const version = basename(dirname(a?.executablePath ?? "")); // the package's, e.g. 153.0.0
  assert.deepEqual(readdirSync(cache), [version]); // no partial folder left, ours or the dead one's
  const browser = await chromium.launch({
    executablePath: a?.executablePath ?? "",
    env: { ...process.env, ...a?.env },
  });
  try {
    assert.equal(browser.version().split(".")[0], version.split(".")[0]);
    const page = await browser.newPage();
    await page.setContent('<span id="t" style="font-family: sans-serif">Your examples</span>');
    const width = (await page.evaluate(
      "document.getElementById('t').getBoundingClientRect().width",
    )) as number;
    assert.ok(width > 50, `the text is ${width} px wide: no font?`);
  } finally {
    await browser.close();
  }
});

test("CHROMIUM_PATH wins, and one that does not exist is an error, not a silent fallback", async () => {
  try {
    process.env.CHROMIUM_PATH = process.execPath;
    assert.deepEqual(await findChromium(), {
      from: "CHROMIUM_PATH",
      executablePath: process.execPath,
    });
    process.env.CHROMIUM_PATH = join(cache, "no-chromium-here");
    await assert.rejects(findChromium(), /CHROMIUM_PATH is .*no-chromium-here.*not an executable/);
  } finally {
    delete process.env.CHROMIUM_PATH;
  }
});
