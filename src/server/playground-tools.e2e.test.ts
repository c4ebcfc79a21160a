/**
 * The playground with functions, as a user goes through it: a real server on a temporary
 * TAILOR_HOME (real engine, the tiny model), Chromium driven by playwright-core. The user pastes a
 * function, makes a call required, gets a card, types the function's result, and the model goes on;
 * then asks for JSON that follows a schema. Screenshots go to test-output/studio-tools/.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Ajv } from "ajv";
import type { Browser, Page } from "playwright-core";
import { cliSandbox } from "../cli/__fixtures__/cli.ts";
import { checkControls, studioBrowser } from "./__fixtures__/browser.ts";
import { type RunningServer, startServer } from "./index.ts";

const { home, tiny } = cliSandbox("tailor-studio-tools-", { HF_HUB_OFFLINE: "1" });
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

// a pattern keeps the random model's argument short: constrained decoding makes it fit
const ORDER = {
  type: "object",
  properties: { order_id: { type: "string", pattern: "^NW-[0-9]{5}$" } },
  required: ["order_id"],
  additionalProperties: false,
};
const TOOLS = [
  {
    type: "function",
    function: {
      name: "get_order_status",
      description: "Where a customer's order is.",
      parameters: ORDER,
    },
  },
];

before(async () => {
  tiny();
  server = await startServer({ home, port: 0 });
  ({ browser, shots } = await studioBrowser("studio-tools"));
  console.log(`studio screenshots: ${shots}`);
});

after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(home, { recursive: true, force: true });
});

test("a tool call shows as a card, takes the function's result, and the model goes on", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(String(e)));

  await page.goto(server.studioUrl);
  await page.getByRole("heading", { name: "1. Your examples" }).waitFor();
  await page.getByRole("link", { name: /Playground/ }).click();
  await page.getByRole("heading", { name: "6. Playground" }).waitFor();
  await page.getByLabel("Model", { exact: true }).selectOption("tiny");
  await page.getByLabel("Temperature").fill("0");

  // not JSON: said in words, nothing sent
  await page.getByLabel("Tools (JSON)").fill("[{");
  await page.getByRole("alert").filter({ hasText: "The tools is not JSON" }).waitFor();

  await page.getByLabel("Tools (JSON)").fill(JSON.stringify(TOOLS, null, 2));
  await page.getByLabel("Tool choice").selectOption("required");
  const snippet = page.getByTestId("snippet");
  assert.match((await snippet.textContent()) ?? "", /tools: \[[\s\S]*"get_order_status"/);
  assert.match((await snippet.textContent()) ?? "", /tool_choice: "required"/);

  await page.getByLabel("Your message").fill("Where is my order NW-10482?");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  // the tiny model may call it more than once (parallel calls): each gets a card
  const cards = page.getByTestId("tool-card");
  await cards.getByRole("button", { name: "Send result" }).first().waitFor({ timeout: 120_000 });
  await page.getByRole("button", { name: "Send", exact: true }).waitFor({ timeout: 120_000 });
  const n = await cards.count();
  for (const card of await cards.all()) {
    assert.match((await card.textContent()) ?? "", /calls\s*get_order_status/);
    const args = JSON.parse((await card.getByTestId("tool-arguments").textContent()) ?? "");
    assert.match(args.order_id, /^NW-\d{5}$/);
  }
  await snap(page, "tool-call-card");

  // each result goes back as a tool message; with tool choice "none" the model answers in words
  await page.getByLabel("Tool choice").selectOption("none");
  for (const [i, card] of (await cards.all()).entries()) {
    await card.getByLabel("Result of get_order_status").fill(`{"status": "shipped", "call": ${i}}`);
    await card.getByRole("button", { name: "Send result" }).click();
  }
  await page.getByRole("button", { name: "Send", exact: true }).waitFor({ timeout: 120_000 });
  assert.equal(await page.locator(".turn.tool").count(), n);
  const answer = page.locator(".turn.assistant").last();
  await answer.filter({ hasNotText: "…" }).waitFor();
  const words = (await answer.textContent()) ?? "";
  assert.ok(words.replace(/^Model:/, "").length > 0 && !words.includes("(no answer"), words);
  assert.equal(await cards.count(), n, "the answer is in words, not another call");
  assert.equal(await page.getByRole("button", { name: "Send result" }).count(), 0);
  await snap(page, "tool-result-answered");

  // the Python snippet carries the tools too, in Python's spelling
  await page.getByRole("tab", { name: "Python" }).click();
  const py = (await snippet.textContent()) ?? "";
  assert.match(py, /tools=\[/);
  assert.match(py, /"additionalProperties": False/);

  // structured output: JSON that follows a schema, with no tools offered
  await page.getByRole("button", { name: "Clear" }).click();
  await page.getByLabel("Tools (JSON)").fill("");
  await page.getByLabel("Answer format").selectOption("json_schema");
  await page.getByLabel("JSON schema").fill(JSON.stringify(ORDER));
  await page.getByLabel("Your message").fill("Which order?");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await page.getByRole("button", { name: "Send", exact: true }).waitFor({ timeout: 120_000 });
  const json = ((await page.locator(".turn.assistant").last().textContent()) ?? "").replace(
    /^Model:/,
    "",
  );
  assert.ok(new Ajv().validate(ORDER, JSON.parse(json)), json);
  assert.match((await snippet.textContent()) ?? "", /response_format=\{/);
  await snap(page, "json-schema-answer");

  assert.deepEqual(problems, []);
  await context.close();
});
