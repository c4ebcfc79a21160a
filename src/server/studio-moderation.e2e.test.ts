/**
 * The studio's Moderation page in Debian's Chromium (playwright-core) on a real server (real SQLite,
 * engine and tiny model): a policy made in plain words (a bad name and a bad pattern refused beside
 * their fields), tried on sample text (blocked with its rule, personal data hidden), attached to a
 * model; chats through the official `openai` client then blocked or flagged by it, and the flags in
 * the studio's log, newest first, filtered by policy; the page at a phone's width. Screenshots go to
 * test-output/studio-moderation/.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import OpenAI from "openai";
import type { Browser, Page } from "playwright-core";
import { readLocalAdminKey } from "../auth/index.ts";
import { cliSandbox } from "../cli/__fixtures__/cli.ts";
import { checkControls, studioBrowser } from "./__fixtures__/browser.ts";
import { type RunningServer, startServer } from "./index.ts";

const { home, tiny } = cliSandbox("tailor-studio-moderation-", { HF_HUB_OFFLINE: "1" });
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

before(async () => {
  tiny();
  server = await startServer({ home, port: 0 });
  ({ browser, shots } = await studioBrowser("studio-moderation"));
});

after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(home, { recursive: true, force: true });
});

const REFUSAL = "Sorry, I can't talk about unreleased projects.";

test("a policy made and tried in the studio blocks a chat, and its flag shows in the log", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(String(e)));

  await page.goto(server.studioUrl);
  await page.getByRole("link", { name: "Moderation" }).click();
  await page.getByRole("heading", { name: "Moderation", level: 1 }).waitFor();
  await page.getByText("No policies yet").waitFor();
  await page.getByText("No flags yet").waitFor();
  await snap(page, "empty");

  // a new policy in plain words; a bad pattern is refused beside it as it is typed
  await page.getByRole("button", { name: "New policy" }).click();
  await page.getByLabel("Name", { exact: true }).fill("No secrets");
  await page.getByLabel("Blocked words and phrases, one per line").fill("Project Falcon\n");
  await page.getByRole("button", { name: "Add a pattern" }).click();
  const pattern = page.getByLabel("Pattern 1", { exact: true });
  await pattern.fill("(?<!x)A-\\d{3}");
  await page.getByText(/This pattern cannot be used: .*lookaround/).waitFor();
  const create = page.getByRole("button", { name: "Create policy" });
  assert.ok(await create.isDisabled(), "a policy with a bad pattern cannot be saved");
  await snap(page, "bad-pattern");
  await pattern.fill("\\bA-\\d{3}\\b");
  await page.getByText(/This pattern cannot be used/).waitFor({ state: "detached" });
  await page.getByLabel(/Hide it: replace each with a tag/).check();
  await page.getByLabel("What people see instead of a blocked answer").fill(REFUSAL);

  // the server's refusal of the name is said beside the name
  await create.click();
  await page.getByRole("alert").filter({ hasText: "The policy was not saved" }).waitFor();
  const nameField = page.locator(".field", { has: page.getByLabel("Name", { exact: true }) });
  await nameField.getByText(/lower-case letters/).waitFor();
  assert.equal(await page.getByLabel("Name", { exact: true }).getAttribute("aria-invalid"), "true");
  await snap(page, "bad-name");
  await page.getByLabel("Name", { exact: true }).fill("no-secrets");
  await create.click();
  const policies = page.getByTestId("policies");
  await policies.getByText("no-secrets").waitFor();
  await policies
    .getByText("Blocks · checks 1 blocked word, 1 pattern, hides personal data · not attached yet")
    .waitFor();
  await page.getByRole("heading", { name: "Change no-secrets" }).waitFor();

  // try it: the blocked word (in other capitals) and the pattern block a question, with their rules
  const tryIt = page.locator("section.try");
  await tryIt.getByLabel("Sample text").fill("What is project falcon about, for order A-123?");
  await tryIt.getByLabel("a question").check();
  await tryIt.getByRole("button", { name: "Try it" }).click();
  const asked = tryIt.getByTestId("try-input");
  // the first try starts the safety engine and loads its models: more than a page's usual wait
  await asked
    .getByTestId("try-action")
    .filter({ hasText: "Blocked" })
    .waitFor({ timeout: 120_000 });
  const hits = (await asked.getByTestId("try-hits").textContent()) ?? "";
  assert.match(hits, /Blocked word "Project Falcon"/);
  assert.match(hits, /Pattern \/\\bA-\\d\{3\}\\b\//);
  assert.equal(await asked.getByTestId("try-text-after").textContent(), REFUSAL);
  assert.equal(await tryIt.getByTestId("try-output").count(), 0, "tried as a question only");
  await snap(page, "tried-blocked");

  // ... and an answer with an e-mail address: passed on with the address hidden
  await tryIt.getByLabel("Sample text").fill("Write to ana.berg@example.com today.");
  await tryIt.getByLabel("an answer").check();
  await tryIt.getByRole("button", { name: "Try it" }).click();
  const answered = tryIt.getByTestId("try-output");
  await answered.getByTestId("try-action").filter({ hasText: "Personal data hidden" }).waitFor();
  await answered.getByTestId("try-hits").getByText("Personal data: email").waitFor();
  assert.equal(
    await answered.getByTestId("try-text-after").textContent(),
    "Write to [EMAIL] today.",
  );
  // every category's score, from /v1/moderations
  assert.equal(await tryIt.getByTestId("category-scores").locator("li").count(), 13);
  await snap(page, "tried-answer");

  // attached to the tiny model
  await page.getByRole("heading", { name: "Where no-secrets applies" }).waitFor();
  await page.getByRole("checkbox", { name: "tiny", exact: true }).check();
  await page.getByRole("button", { name: "Save where it applies" }).click();
  await page.getByRole("status").filter({ hasText: "Saved." }).waitFor();
  await policies.getByText(/applies to 1 model/).waitFor();

  // a change not saved yet is what a try checks: insults ticked at the highest sensitivity
  await page.getByRole("checkbox", { name: "Insults, bullying or abuse aimed at someone" }).check();
  const slider = page.getByLabel("Sensitivity for insults, bullying or abuse aimed at someone");
  await slider.focus();
  await page.keyboard.press("End");
  await page.getByText("fires from a score of 0.05").waitFor();
  await tryIt.getByLabel("Sample text").fill("You are a worthless idiot and everyone hates you.");
  await tryIt.getByLabel("a question").check();
  await tryIt.getByRole("button", { name: "Try it" }).click();
  const insult = tryIt.getByTestId("try-input").getByTestId("try-hits");
  await insult.getByText(/\(harassment\)/).waitFor();
  assert.match((await insult.textContent()) ?? "", /harassment\)\d+\.\d% ≥ 5\.0%/);
  await snap(page, "tried-draft");
  await page.getByRole("button", { name: "Cancel" }).click();
  await page.getByRole("heading", { name: "Change no-secrets" }).waitFor({ state: "detached" });

  // a second policy, only flagging, made through the API: its flag must not show under no-secrets
  const key = readLocalAdminKey(home) ?? "";
  const made = await fetch(`${server.url}/v1/moderation/policies`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({
      name: "refunds",
      mode: "flag_only",
      input: { blocked_terms: ["refund"] },
      attached: { models: ["tiny"] },
    }),
  });
  assert.equal(made.status, 200, await made.clone().text());

  // chats through the official client: blocked before the model, then flagged and answered
  const client = new OpenAI({ apiKey: key, baseURL: `${server.url}/v1`, maxRetries: 0 });
  const blocked = await client.chat.completions.create({
    model: "tiny",
    messages: [{ role: "user", content: "Tell me everything about Project Falcon." }],
    max_tokens: 4,
  });
  assert.equal(blocked.choices[0]?.finish_reason, "content_filter");
  assert.equal(blocked.choices[0]?.message.content, REFUSAL);
  const flagged = await client.chat.completions.create({
    model: "tiny",
    messages: [{ role: "user", content: "Can I get a refund?" }],
    max_tokens: 4,
  });
  assert.notEqual(flagged.choices[0]?.finish_reason, "content_filter");

  // the flags in the studio: newest first, the rule, the term masked in the excerpt (the tiny
  // model's few random words may draw a flag on an answer too: rows are found by what they say)
  await page.getByRole("button", { name: "Refresh" }).click();
  await policies.getByText("refunds").waitFor();
  const flags = page.getByTestId("flags");
  await flags.locator("tbody tr").nth(1).waitFor();
  const rows = await flags.locator("tbody tr").allTextContents();
  const refund = rows.findIndex((r) => /refunds.*tiny.*question.*Flagged.*"refund"/.test(r));
  const falcon = rows.findIndex((r) =>
    /no-secrets.*tiny.*question.*Blocked.*Blocked word "Project Falcon"/.test(r),
  );
  assert.ok(refund >= 0 && falcon >= 0, rows.join("\n"));
  assert.ok(refund < falcon, `newest first:\n${rows.join("\n")}`);
  assert.equal(rows.filter((r) => r.includes("refunds")).length, 1, rows.join("\n"));
  const excerpt = flags.locator("tbody tr").nth(falcon).locator("td.excerpt");
  assert.ok(!/falcon/i.test((await excerpt.textContent()) ?? ""), "the blocked words are masked");
  await page.getByLabel("Policy", { exact: true }).selectOption({ label: "no-secrets" });
  await flags.getByText("refunds").waitFor({ state: "detached" });
  const mine = await flags.locator("tbody tr").allTextContents();
  assert.ok(mine.length >= 1 && mine.every((r) => r.includes("no-secrets")), mine.join("\n"));
  await snap(page, "flags");
  await context.close();

  // a phone's width: nothing wider than the screen, every control still reachable
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const small = await phone.newPage();
  small.on("pageerror", (e) => problems.push(String(e)));
  await small.goto(server.studioUrl);
  await small.goto(`${server.url}/moderation`);
  await small.getByTestId("flags").locator("tbody tr").nth(1).waitFor();
  await small.getByRole("button", { name: "Edit or try no-secrets" }).click();
  await small.getByRole("heading", { name: "Change no-secrets" }).waitFor();
  assert.equal(
    await small.evaluate(
      "document.documentElement.scrollWidth > document.documentElement.clientWidth",
    ),
    false,
    "the page is wider than a phone",
  );
  assert.equal(
    await small.evaluate(
      "[...document.querySelectorAll('.table-scroll')].some((t) => t.scrollWidth > t.clientWidth)",
    ),
    false,
    "the flags are wider than a phone",
  );
  await snap(small, "phone");
  await phone.close();
  assert.deepEqual(problems, []);
});
