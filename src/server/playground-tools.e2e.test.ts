/**
 * The playground with functions, as a user goes through it: a real server on a temporary
 * TAILOR_HOME (real engine, the tiny model fine-tuned on a few examples with a function), Chromium
 * driven by playwright-core. The functions the model was trained with are filled in (and in the code
 * snippet); the user makes a call required, gets cards from the model and its base, types each
 * function's result, and both go on; then asks for JSON that follows a schema. Screenshots go to
 * test-output/studio-tools/.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Ajv } from "ajv";
import type { Browser, Page } from "playwright-core";
import { cliSandbox, ORDER_TOOL, orderCallsJsonl } from "../cli/__fixtures__/cli.ts";
import { checkControls, studioBrowser } from "./__fixtures__/browser.ts";
import { type RunningServer, startServer } from "./index.ts";

const { home, file, tiny, trainTiny } = cliSandbox("tailor-studio-tools-", {
  HF_HUB_OFFLINE: "1",
});
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
const ORDER = ORDER_TOOL.function.parameters;
const TOOLS = [ORDER_TOOL];

before(async () => {
  tiny();
  // examples that call the function: the fine-tuned model records it as the function it knows
  const data = file("orders.jsonl", orderCallsJsonl(10, TOOLS));
  trainTiny("orders", data);
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
  await page.getByLabel("Model", { exact: true }).selectOption("orders");
  await page.getByLabel("Temperature").fill("0");

  // the function it was trained with is offered, and the snippet has it
  await page.getByText("The functions your model was trained with.").waitFor();
  assert.deepEqual(JSON.parse(await page.getByLabel("Tools (JSON)").inputValue()), TOOLS);
  const snippet = page.getByTestId("snippet");
  assert.match((await snippet.textContent()) ?? "", /tools: \[[\s\S]*"get_order_status"/);

  // not JSON: said in words, in place
  await page.getByLabel("Tools (JSON)").fill("[{");
  await page.getByRole("alert").filter({ hasText: "The tools is not JSON" }).waitFor();
  await page.getByLabel("Tools (JSON)").fill(JSON.stringify(TOOLS, null, 2));

  await page.getByLabel("Tool choice").selectOption("required");
  assert.match((await snippet.textContent()) ?? "", /tool_choice: "required"/);
  await page.getByLabel("Your message").fill("Where is my order NW-10482?");
  const send = page.getByRole("button", { name: "Send", exact: true });
  await send.click();
  await send.waitFor({ timeout: 120_000 });

  // both models call it (the tiny ones may call it more than once: a card each)
  const chats = page.getByRole("log");
  assert.equal(await chats.count(), 2);
  const cards = page.getByTestId("tool-card");
  for (const chat of await chats.all())
    assert.ok((await chat.getByTestId("tool-card").count()) > 0, (await chat.textContent()) ?? "");
  const n = await cards.count();
  for (const card of await cards.all()) {
    assert.match((await card.textContent()) ?? "", /calls\s*get_order_status/);
    const args = JSON.parse((await card.getByTestId("tool-arguments").textContent()) ?? "");
    assert.match(args.order_id, /^NW-\d{5}$/);
  }
  await snap(page, "tool-call-cards");

  // each result goes back as a tool message; with tool choice "none" the models answer in words
  await page.getByLabel("Tool choice").selectOption("none");
  for (const [i, card] of (await cards.all()).entries()) {
    await send.waitFor({ timeout: 120_000 }); // the other model may still be answering
    await card.getByLabel("Result of get_order_status").fill(`{"status": "shipped", "call": ${i}}`);
    await card.getByRole("button", { name: "Send result" }).click();
  }
  await send.waitFor({ timeout: 120_000 });
  assert.equal(await page.locator(".turn.tool").count(), n);
  for (const chat of await chats.all()) {
    const words = (await chat.locator(".turn.assistant").last().textContent()) ?? "";
    assert.ok(words.replace(/^Model:/, "").length > 0 && !words.includes("(no answer"), words);
  }
  assert.equal(await cards.count(), n, "the answers are in words, not more calls");
  assert.equal(await page.getByRole("button", { name: "Send result" }).count(), 0);
  await snap(page, "tool-results-answered");

  // a narrow window: the cards and the panel fit
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(
    "document.documentElement.scrollWidth > document.documentElement.clientWidth",
  );
  assert.equal(overflow, false, "the page is wider than a narrow window");
  await page.setViewportSize({ width: 1280, height: 800 });

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
  await send.click();
  await send.waitFor({ timeout: 120_000 });
  for (const chat of await chats.all()) {
    const json = ((await chat.locator(".turn.assistant").last().textContent()) ?? "").replace(
      /^Model:/,
      "",
    );
    assert.ok(new Ajv().validate(ORDER, JSON.parse(json)), json);
  }
  assert.match((await snippet.textContent()) ?? "", /response_format=\{/);
  await snap(page, "json-schema-answer");

  assert.deepEqual(problems, []);
  await context.close();
});
