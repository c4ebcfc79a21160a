/**
 * The studio's "Improve this model with new examples", in Debian's Chromium on a real server (real
 * engine, tiny model): from a model's results page, through new examples, the base page saying which
 * model is improved, the settings that explain where training starts, to the new model's results,
 * which name the model it continued. Screenshots go to test-output/studio-continue/.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { CANNED, chatLine, cliSandbox, supportJsonl } from "../cli/__fixtures__/cli.ts";
import { checkControls, studioBrowser } from "./__fixtures__/browser.ts";
import { type RunningServer, startServer } from "./index.ts";

const { home, file, tiny, trainTiny } = cliSandbox("tailor-studio-continue-", {
  HF_HUB_OFFLINE: "1",
});
let server: RunningServer;
let browser: Browser;
let shots = "";
let shot = 0;
async function snap(page: Page, name: string): Promise<void> {
  await checkControls(page, name);
  shot++;
  await page.screenshot({ path: join(shots, `${shot}-${name}.png`), fullPage: true });
}

before(async () => {
  tiny();
  trainTiny("support", file("support.jsonl", supportJsonl()));
  server = await startServer({ home, port: 0 });
  ({ browser, shots } = await studioBrowser("studio-continue"));
});

after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(home, { recursive: true, force: true });
});

test("improve a model with new examples, from its results to the new model's", async () => {
  const questions = [
    "Gloves",
    "Cards",
    "Pedals",
    "Parking",
    "Rental",
    "Fitting",
    "Spokes",
    "Abroad",
  ];
  const lines = [...questions, "Trade-in", "Lockers"].map((q) => chatLine(`${q}?`, CANNED));
  const data = file("new.jsonl", `${lines.join("\n")}\n`);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(String(e)));

  // the model's results page (where the path leaves a trained model)
  await page.goto(server.studioUrl);
  await page.evaluate(`localStorage.setItem("tailor.flow", '{"model":"support"}')`);
  await page.goto(`${server.url}/results`);
  await page.getByRole("heading", { name: "5. Results" }).waitFor();
  await page.getByRole("button", { name: "Improve this model with new examples" }).click();

  // 1. the new examples, the model named
  await page.getByRole("heading", { name: "1. Your examples" }).waitFor();
  await page.getByText("Add the new examples for support").waitFor();
  await page.locator('input[type="file"]').setInputFiles(data);
  await page.getByText("10 examples ready to use.").waitFor({ timeout: 180_000 });
  await page.getByRole("button", { name: "Continue: choose a base model" }).click();

  // 2. the base page says which model is improved, with its estimate
  await page.getByRole("heading", { name: "2. Choose a base model" }).waitFor();
  const continuing = page.getByTestId("continuing");
  assert.ok(await continuing.getByRole("radio", { name: /^support/ }).isChecked());
  await continuing.getByText(/Training on your examples: about/).waitFor({ timeout: 180_000 });
  await snap(page, "base-improving");
  await page.getByRole("button", { name: "Continue: settings" }).click();

  // 3. settings: where training starts, explained
  const explanations = page.getByTestId("explanations");
  await explanations.getByText(/^continues from support \(trained on ds-/).waitFor({
    timeout: 180_000,
  });
  await explanations.getByText(/LoRA rank: 8 \(from support/).waitFor();
  await snap(page, "settings-improving");
  await page.getByRole("button", { name: "Start training" }).click();

  // 4-5. the job runs to the end; the new model's results name the model it continued
  await page.getByRole("heading", { name: "4. Training" }).waitFor();
  await page
    .getByTestId("job-status")
    .filter({ hasText: /Finished|Failed/ })
    .waitFor({ timeout: 300_000 });
  assert.equal(await page.getByTestId("job-status").textContent(), "Finished");
  await page.getByRole("button", { name: "See the results" }).click();
  await page.getByRole("heading", { name: "5. Results" }).waitFor();
  await page.getByText(/It continued training support on new examples\./).waitFor();
  await snap(page, "results-improved");
  assert.deepEqual(problems, []);
  await context.close();
});
