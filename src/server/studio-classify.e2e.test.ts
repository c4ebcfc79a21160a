/**
 * The studio's "Sort messages into labels", end to end in Debian's Chromium (playwright-core): from
 * the first page's task to a CSV of labelled e-mails, a classifier trained by a real job (real
 * server, engine and MiniLM), and the classifier playground giving each pasted message its label with
 * score bars. Screenshots go to test-output/studio-classify/.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { cliSandbox } from "../cli/__fixtures__/cli.ts";
import { checkControls, studioBrowser } from "./__fixtures__/browser.ts";
import { type RunningServer, startServer } from "./index.ts";

const { home, file } = cliSandbox("tailor-studio-classify-", { HF_HUB_OFFLINE: "1" });
let server: RunningServer;
let browser: Browser;
let shots = "";
let shot = 0;
async function snap(page: Page, name: string): Promise<void> {
  await checkControls(page, name);
  shot++;
  await page.screenshot({
    path: join(shots, `${String(shot).padStart(2, "0")}-${name}.png`),
    fullPage: true,
  });
}

const MAIL: Record<string, string[]> = {
  billing: [
    "My invoice shows the same charge twice",
    "Please refund the duplicate payment",
    "Send me a receipt for my order",
    "Why is my bill higher this month?",
    "I was charged for a cancelled order",
    "The card payment went through twice",
  ],
  spam: [
    "WIN a FREE cruise now, click here",
    "Cheap pills, limited offer, no prescription",
    "You are our lucky winner, claim your prize",
    "Earn 5000 dollars a week from home",
    "Congratulations, a free iPhone is waiting",
    "Make money fast with this crypto trick",
  ],
};

before(async () => {
  server = await startServer({ home, port: 0 });
  ({ browser, shots } = await studioBrowser("studio-classify"));
});

after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(home, { recursive: true, force: true });
});

test("sort messages into labels: a labelled CSV, a trained classifier, labels in the playground", async () => {
  const rows = Object.entries(MAIL).flatMap(([label, texts]) =>
    texts.map((t) => `"${t}",${label}`),
  );
  const csv = file("mail.csv", `text,label\n${rows.join("\n")}\n`);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(String(e)));

  // the first page offers the task
  await page.goto(server.studioUrl);
  await page.getByRole("heading", { name: "1. Your examples" }).waitFor();
  await page.getByRole("button", { name: "Sort messages into labels" }).click();
  await page.getByRole("heading", { name: "Sort messages into labels" }).waitFor();
  await page.getByText("No classifier yet").waitFor();
  await snap(page, "classify-empty");

  // a CSV of labelled messages, checked, and a classifier trained on it
  await page.locator('input[type="file"]').setInputFiles(csv);
  await page.getByText("12 labelled messages in mail.csv, ready to train on.").waitFor();
  assert.equal(
    await page.getByTestId("label-counts").textContent(),
    "Messages per label: billing 6, spam 6.",
  );
  await page.getByLabel("A name for your classifier (optional)").fill("mail");
  await snap(page, "classify-report");
  await page.getByRole("button", { name: "Train the classifier" }).click();
  await page.getByRole("heading", { name: "4. Training" }).waitFor();
  await page
    .getByTestId("job-status")
    .filter({ hasText: /Finished|Failed/ })
    .waitFor({ timeout: 300_000 });
  assert.equal(await page.getByTestId("job-status").textContent(), "Finished");

  // the playground shows the classifier's panel: each message with its label and score bars
  await page.getByRole("link", { name: /Playground/ }).click();
  const panel = page.getByTestId("classifier-playground");
  await panel.waitFor();
  assert.match(await page.getByLabel("Classifier").inputValue(), /mail/);
  await page
    .getByLabel("Messages to sort, one per line")
    .fill("Please refund the double charge\nClaim your free prize now");
  await page.getByRole("button", { name: "Sort into labels" }).click();
  const results = page.getByTestId("classified");
  await results.nth(1).waitFor({ timeout: 60_000 });
  assert.match((await results.nth(0).textContent()) ?? "", /Label: billing/);
  assert.match((await results.nth(1).textContent()) ?? "", /Label: spam/);
  assert.equal(await results.nth(0).locator(".score-bar").count(), 2, "a bar per label");
  await snap(page, "classifier-playground");
  assert.deepEqual(problems, []);
  await context.close();
});
