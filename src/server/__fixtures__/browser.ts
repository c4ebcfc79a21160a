/** What the browser tests share: Chromium (see ./chromium.ts) with the studio built, and the check every studio screen must pass. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "./chromium.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * Builds the studio (if its sources changed), empties test-output/NAME for the screenshots and starts
 * Chromium; returns the browser and the screenshots' folder.
 */
export async function studioBrowser(name: string): Promise<{ browser: Browser; shots: string }> {
  const built = spawnSync(process.execPath, [join(ROOT, "scripts/build-studio.mjs")], {
    encoding: "utf8",
  });
  assert.equal(built.status, 0, `the studio did not build: ${built.stderr}`);
  const shots = join(ROOT, "test-output", name);
  rmSync(shots, { recursive: true, force: true });
  mkdirSync(shots, { recursive: true });
  return { browser: await launchChromium(), shots };
}

/**
 * What every screen must give someone who does not use a mouse or does not see it: each visible
 * control has a name (its label, aria-label or text; a placeholder does not count), and pressing Tab
 * from the top reaches every one of them (of a radio group, the checked one).
 */
export async function checkControls(page: Page, where: string): Promise<void> {
  // in the page (a string: this project's TypeScript has no DOM types outside the studio)
  const controls = (await page.evaluate(`(() => {
    const visible = (el) =>
      el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden" && !el.disabled &&
      el.getAttribute("tabindex") !== "-1" &&
      !(el.type === "radio" && !el.checked && document.querySelector('input[type=radio][name="' + el.name + '"]:checked'));
    const field = (el) => ["INPUT", "SELECT", "TEXTAREA"].includes(el.tagName);
    const nameOf = (el) => {
      const by = el.getAttribute("aria-labelledby");
      return (el.getAttribute("aria-label") || "").trim() ||
        (by ? by.split(" ").map((id) => document.getElementById(id)?.textContent || "").join(" ").trim() : "") ||
        [...(el.labels || [])].map((l) => l.textContent || "").join(" ").trim() ||
        (field(el) ? "" : (el.textContent || "").trim()) ||
        (el.getAttribute("title") || "").trim();
    };
    const all = [...document.querySelectorAll("input, select, textarea, button, a[href], summary, [role=button], [tabindex]")]
      .filter(visible);
    return all.map((el, i) => {
      el.dataset.kb = String(i);
      return { i: String(i), name: nameOf(el), html: el.outerHTML.slice(0, 120) };
    });
  })()`)) as { i: string; name: string; html: string }[];
  const unnamed = controls.filter((c) => !c.name).map((c) => c.html);
  assert.deepEqual(unnamed, [], `${where}: controls without a name`);
  await page.evaluate("document.activeElement?.blur(); window.scrollTo(0, 0)");
  const reached = new Set<string>();
  for (let n = 0; n < controls.length + 15 && reached.size < controls.length; n++) {
    await page.keyboard.press("Tab");
    const at = (await page.evaluate("document.activeElement?.dataset?.kb ?? null")) as
      | string
      | null;
    if (at) reached.add(at);
  }
  await page.evaluate("document.activeElement?.blur(); window.scrollTo(0, 0)"); // no focus ring left behind
  const missed = controls.filter((c) => !reached.has(c.i)).map((c) => `${c.name}: ${c.html}`);
  assert.deepEqual(missed, [], `${where}: controls that Tab never reaches`);
}
