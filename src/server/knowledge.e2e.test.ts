/**
 * The studio's Knowledge page and the playground's "Use my documents", in Debian's Chromium driven
 * by playwright-core against a real server (real engine, the tiny model). Screenshots go to
 * test-output/knowledge/.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { cliSandbox } from "../cli/__fixtures__/cli.ts";
import { makePdf } from "../knowledge/__fixtures__/documents.ts";
import { checkControls, studioBrowser } from "./__fixtures__/browser.ts";
import { type RunningServer, startServer } from "./index.ts";

let shots = "";
const { home, file, tiny } = cliSandbox("tailor-kb-studio-", { HF_HUB_OFFLINE: "1" });

let server: RunningServer;
let browser: Browser;
async function snap(page: Page, name: string): Promise<void> {
  await checkControls(page, name);
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

before(async () => {
  tiny();
  server = await startServer({ home, port: 0, worker: false });
  ({ browser, shots } = await studioBrowser("knowledge"));
});
after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(home, { recursive: true, force: true });
});

test("create a knowledge base, upload, search, see passages, chat with sources", async () => {
  const pdf = file(
    "handbook.pdf",
    makePdf([
      ["Northwind staff handbook.", "Read it once a year."],
      ["Annual leave: every full-time employee gets 25 days of paid annual leave per year."],
    ]),
  );
  const broken = file("broken.pdf", "%PDF-1.4 not really");
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(String(e)));

  await page.goto(server.studioUrl);
  await page.getByRole("link", { name: "Knowledge" }).click();
  await page.getByRole("heading", { name: "Knowledge" }).waitFor();
  await page.getByText("No knowledge bases yet").waitFor();
  await snap(page, "01-empty");

  await page.getByLabel("New knowledge base").fill("Staff handbook");
  await page.getByRole("button", { name: "Create" }).click();
  await page.getByRole("tab", { name: /Staff handbook/ }).waitFor();
  await page.locator('input[type="file"]').setInputFiles([pdf, broken]);
  await page.getByText(/✓ 2 passages ready to search/).waitFor({ timeout: 120_000 });
  await page
    .getByText("✗ not a readable PDF (Invalid PDF structure.)")
    .waitFor({ timeout: 60_000 });
  await snap(page, "02-uploaded");

  await page.getByLabel("Question").fill("how many days of leave do I get");
  await page.getByRole("button", { name: "Search" }).click();
  const first = page.getByRole("list", { name: "Search results" }).getByRole("listitem").first();
  await first.getByRole("button", { name: "handbook.pdf, page 2" }).click();
  await page
    .locator(".chunk-list li.cited")
    .getByText(/25 days/)
    .waitFor();
  await snap(page, "03-search-and-passages");

  await page.getByRole("link", { name: /Playground/ }).click();
  await page.getByLabel("Use my documents").check();
  await page.getByLabel("Model", { exact: true }).selectOption("tiny");
  await page.getByLabel("Max tokens").fill("16");
  await page.getByLabel("Your message").fill("How many days of annual leave do I get?");
  await page.getByRole("button", { name: "Send" }).click();
  const source = page.getByRole("link", { name: "[1] handbook.pdf, page 2" }).first();
  await source.waitFor({ timeout: 120_000 });
  await page.getByRole("button", { name: "Send" }).waitFor({ timeout: 120_000 });
  await snap(page, "04-playground-sources");
  const href = await source.getAttribute("href");
  assert.match(href ?? "", /^\/knowledge\?vs=vs_\w+&file=file-\w+&chunk=1$/);
  await page.goto(`${server.url}${href}`);
  await page
    .locator(".chunk-list li.cited")
    .getByText(/25 days/)
    .waitFor();
  await snap(page, "05-citation-opened");

  const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const small = await phone.newPage();
  await small.goto(server.studioUrl);
  await small.goto(`${server.url}/knowledge`);
  await small.getByRole("tab", { name: /Staff handbook/ }).waitFor();
  await snap(small, "06-phone");
  assert.deepEqual(problems, []);
});
