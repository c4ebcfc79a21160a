/**
 * The studio end to end, as a new user goes through it: a real server on a temporary TAILOR_HOME
 * (real engine, real SQLite, the tiny model), Debian's Chromium driven by playwright-core at
 * 1280×800 and once at a phone's width. Every step saves a screenshot into test-output/studio/.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { CANNED, chatLine, cliSandbox, TOPICS } from "../cli/__fixtures__/cli.ts";
import { checkControls, studioBrowser } from "./__fixtures__/browser.ts";
import { type RunningServer, startServer } from "./index.ts";

let shots = "";
const { home, file, tiny } = cliSandbox("tailor-studio-", { HF_HUB_OFFLINE: "1" });

let server: RunningServer;
let browser: Browser;
let shot = 0;
async function snap(page: Page, name: string): Promise<void> {
  await checkControls(page, name);
  shot++;
  await page.screenshot({
    path: join(shots, `${String(shot).padStart(2, "0")}-${name}.png`),
    fullPage: true,
  });
}

before(async () => {
  tiny();
  server = await startServer({ home, port: 0 });
  ({ browser, shots } = await studioBrowser("studio"));
  console.log(`studio screenshots: ${shots}`);
});

after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(home, { recursive: true, force: true });
});

test("a new user goes from a file of examples to a model they chat with", async () => {
  // 32 examples (so 10% are held out for validation), one of them with an e-mail address
  const lines = TOPICS.flatMap((t, i) => [
    chatLine(`${t}?`, CANNED),
    chatLine(
      i === 3 ? `${t}, please write to anna.berg@example.com` : `Hello, ${t.toLowerCase()}.`,
      CANNED,
    ),
  ]);
  const data = file("support.jsonl", `${lines.join("\n")}\n`);

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(String(e)));

  // a wrong key is refused in words
  await page.goto(`${server.url}/#key=tailor-sk-${"0".repeat(48)}`);
  await page.getByRole("alert").filter({ hasText: "not valid" }).waitFor();
  await snap(page, "sign-in-refused");

  // the link `tailor serve` prints signs in, and the key leaves the address bar
  await page.goto(server.studioUrl);
  await page.getByRole("heading", { name: "1. Your examples" }).waitFor();
  assert.ok(!page.url().includes("key="), page.url());
  await snap(page, "examples-empty");

  // 1. examples: the report, the token histogram, the e-mail address found
  await page.locator('input[type="file"]').setInputFiles(data);
  await page.getByText("32 examples ready to use.").waitFor();
  await page.getByTestId("pii").getByText("Line 8").waitFor();
  await page.getByTestId("token-histogram").waitFor({ timeout: 180_000 });
  await snap(page, "examples-report");

  // redact and continue: a new file without the address
  await page.getByRole("button", { name: "Redact and continue" }).click();
  await page.getByRole("heading", { name: "2. Choose a base model" }).waitFor();
  await page.getByText(/Replaced 1 e-mail address/).waitFor();
  const fileId = String(
    await page.evaluate('JSON.parse(localStorage.getItem("tailor.flow") ?? "{}").fileId'),
  );
  const key = (server.studioUrl.split("#key=")[1] ?? "").trim();
  const content = await (
    await fetch(`${server.url}/v1/files/${fileId}/content`, {
      headers: { authorization: `Bearer ${decodeURIComponent(key)}` },
    })
  ).text();
  assert.ok(!content.includes("anna.berg@example.com"), "the redacted file still has the address");
  assert.match(content, /\[EMAIL\]/);

  // 2. base model: the tiny one, with its estimate
  await page.getByRole("radio", { name: /^tiny/ }).check();
  await page
    .getByText(/Training on your examples: about/)
    .first()
    .waitFor({ timeout: 180_000 });
  await snap(page, "base-model");
  await page.getByRole("button", { name: "Continue: settings" }).click();

  // 3. settings: automatic, explained; advanced shows the four values
  await page.getByTestId("explanations").waitFor({ timeout: 180_000 });
  await page.getByRole("radio", { name: /Advanced/ }).check();
  for (const label of ["Epochs", "Learning rate", "Batch size", "LoRA rank"])
    await page.getByLabel(label, { exact: true }).waitFor();
  await page.getByLabel("Epochs", { exact: true }).fill("8");
  await page.getByText("epochs: 8 (set by you)").waitFor();
  await snap(page, "settings-advanced");
  await page.getByRole("radio", { name: /Automatic/ }).check();
  await page.getByText(/epochs: \d+ \(auto/).waitFor();
  await page.getByLabel("A name for your model (optional)").fill("support");
  await snap(page, "settings");
  await page.getByRole("button", { name: "Start training" }).click();

  // 4. training: the chart gains points as the job runs
  await page.getByRole("heading", { name: "4. Training" }).waitFor();
  const chart = page.getByTestId("loss-chart");
  const counts = new Set<number>();
  const deadline = Date.now() + 240_000;
  let status = "";
  let shotMidway = false;
  while (Date.now() < deadline) {
    counts.add(Number(await chart.getAttribute("data-points")));
    status = (await page.getByTestId("job-status").textContent()) ?? "";
    if (!shotMidway && status === "Training" && Math.max(...counts) > 0) {
      shotMidway = true;
      await snap(page, "training");
    }
    if (status === "Finished" || status === "Failed") break;
    await page.waitForTimeout(150);
  }
  assert.equal(status, "Finished", "the job did not finish");
  const seen = [...counts].filter((n) => n > 0);
  assert.ok(seen.length >= 2, `the chart should gain points while training, saw ${[...counts]}`);
  await snap(page, "trained");

  // leaving and coming back shows the same job
  await page.getByRole("link", { name: /Examples/ }).click();
  await page.reload();
  await page.getByRole("link", { name: /Training/ }).click();
  await page.getByTestId("job-status").filter({ hasText: "Finished" }).waitFor();
  await page.waitForFunction(
    'Number(document.querySelector("[data-testid=loss-chart]")?.dataset.points) > 0',
  );

  // 5. results: the test against the base, side by side, and the verdict with its reason
  await page.getByRole("button", { name: "See the results" }).click();
  await page.getByRole("heading", { name: "5. Results" }).waitFor();
  await page.getByTestId("comparison").waitFor({ timeout: 180_000 });
  const verdict = (await page.getByTestId("promotion").textContent()) ?? "";
  assert.match(verdict, /^(Ready to use|Needs a review before use)\./);
  assert.match(verdict, /on 3 held-out examples against its base/);
  await snap(page, "results");

  // 6. playground: both models answer, and the snippet names the model
  await page.getByRole("button", { name: "Try it in the playground" }).click();
  await page.getByLabel("Temperature").fill("0");
  await page.getByLabel("System prompt").fill("You answer for Northwind Bikes.");
  await page.getByLabel("Your message").fill("My brakes squeal?");
  await page.getByRole("button", { name: "Send" }).click();
  await page.getByRole("button", { name: "Send" }).waitFor({ timeout: 90_000 });
  const answers = page.locator(".turn.assistant");
  assert.equal(await answers.count(), 2);
  for (const a of await answers.all()) {
    const text = (await a.textContent()) ?? "";
    assert.ok(text.length > 0 && !text.includes("(no answer"), text);
  }
  const model = await page.getByLabel("Model", { exact: true }).inputValue();
  assert.match(model, /^ft:tiny:support:/);
  assert.match((await page.getByTestId("snippet").textContent()) ?? "", /baseURL/);
  await snap(page, "playground");
  await page.getByRole("tab", { name: "Python" }).click();
  assert.match((await page.getByTestId("snippet").textContent()) ?? "", /base_url=/);

  // 7. models, data and keys
  await page.getByRole("link", { name: "Models, data and keys" }).click();
  await page.getByRole("heading", { name: "API keys" }).waitFor();
  await page.getByLabel("Who is it for?").fill("alice");
  await page.getByRole("button", { name: "Create key" }).click();
  await page.getByText(/shown only this once/).waitFor();
  await page.getByRole("cell", { name: "POST /v1/keys" }).first().waitFor();
  await snap(page, "manage");

  // a narrow window: the steps fold above the page
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole("link", { name: /Playground/ }).click();
  await page.getByRole("heading", { name: "6. Playground" }).waitFor();
  await snap(page, "playground-narrow");
  const overflow = await page.evaluate(
    "document.documentElement.scrollWidth > document.documentElement.clientWidth",
  );
  assert.equal(overflow, false, "the page is wider than a narrow window");
  assert.deepEqual(problems, []);
  await context.close();
});
