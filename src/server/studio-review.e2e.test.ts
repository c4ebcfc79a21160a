/**
 * The studio's side of keeping a model healthy, in Debian's Chromium (playwright-core) on a real
 * server (real SQLite, engine and tiny model): a model name `support` made through the API; in the
 * playground a question (with an e-mail address in it) answered, rated down and corrected under the
 * answer; on the Review page the item with its question, answer, feedback and the proposed
 * correction, the e-mail marked and redacted, then edited and accepted (the reviewer shown); on the
 * Versions & health page the name and its v1, a dry run of the retrain in words, an example pinned
 * and one unpinned, the health of the day (a question, a thumbs down, a wrong answer) in charts and
 * numbers, and a second version added, promoted and rolled back with a why each, the history saying
 * who and why; the pages at a phone's width. Screenshots go to test-output/studio-review/.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { readLocalAdminKey } from "../auth/index.ts";
import { cliSandbox } from "../cli/__fixtures__/cli.ts";
import { checkControls, studioBrowser } from "./__fixtures__/browser.ts";
import { type RunningServer, startServer } from "./index.ts";

const { home, tiny } = cliSandbox("tailor-studio-review-", { HF_HUB_OFFLINE: "1" });
const QUESTION = "When are you open? Write to ana.berg@example.com";
const CORRECTION = "We are open 9 to 5.";
const EDITED = "We are open 9 to 5, Monday to Friday.";
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

/** Nothing on the page is wider than the window (it scrolls down, never sideways). */
async function fitsWidth(page: Page, where: string): Promise<void> {
  const wide = (await page.evaluate(`(() => {
    const w = document.documentElement.clientWidth;
    return [...document.querySelectorAll("main *")]
      .filter((el) => el.getBoundingClientRect().right > w + 1 && !el.closest(".table-scroll"))
      .map((el) => el.tagName + "." + el.className)
      .slice(0, 5);
  })()`)) as string[];
  assert.deepEqual(wide, [], `${where}: wider than the phone`);
}

before(async () => {
  tiny();
  server = await startServer({ home, port: 0 });
  ({ browser, shots } = await studioBrowser("studio-review"));
});

after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(home, { recursive: true, force: true });
});

test("feedback in the playground, reviewed, and the name's versions and health", async () => {
  const key = readLocalAdminKey(home) ?? "";
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.text();
    assert.ok(r.ok, `${method} ${path}: ${r.status} ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  const me = (await call("GET", "/v1/me")) as { owner: string; key_id: string };
  // the names' history records the key that acted (the review queue its owner)
  const actor = `(?:${me.owner}|${me.key_id})`;
  await call("POST", "/v1/model_names", { name: "support", model: "tiny", why: "our help desk" });

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(String(e)));

  // the playground: asked, rated down, corrected under the answer
  await page.goto(server.studioUrl);
  await page.getByRole("link", { name: /Playground/ }).click();
  await page.getByRole("heading", { name: "6. Playground" }).waitFor();
  await page.getByLabel("Model", { exact: true }).selectOption("tiny");
  await page.getByLabel(/Max tokens/).fill("12");
  await page.getByLabel("Your message").fill(QUESTION);
  await page.getByRole("button", { name: "Send", exact: true }).click();
  const feedback = page.getByTestId("answer-feedback");
  await feedback.waitFor({ timeout: 120_000 });
  await feedback.getByRole("button", { name: "Bad answer (tiny)" }).click();
  await feedback
    .getByRole("status")
    .filter({ hasText: "Rating saved. Filed for review" })
    .waitFor();
  assert.equal(
    await feedback.getByRole("button", { name: "Bad answer (tiny)" }).getAttribute("aria-pressed"),
    "true",
  );
  await feedback.getByRole("button", { name: "What should it have said?" }).click();
  await feedback.getByLabel("What should it have said? (tiny)").fill(CORRECTION);
  await feedback.getByRole("button", { name: "Send the correction" }).click();
  await feedback
    .getByRole("status")
    .filter({ hasText: "Correction saved. Filed for review" })
    .waitFor();
  await snap(page, "playground-correction");

  // Review: the item, its e-mail marked and redacted, edited and accepted
  await page.getByRole("link", { name: "Review" }).click();
  await page.getByRole("heading", { name: "Review", level: 1 }).waitFor();
  assert.equal(await page.title(), "Review · Tailor studio");
  const list = page.getByTestId("review-list");
  await list.getByText(QUESTION).waitFor();
  assert.match(
    (await list.textContent()) ?? "",
    /tiny · .*Thumbs down, Marked wrong, Correction given · personal data found/,
  );
  await page.getByRole("button", { name: `Review “${QUESTION}”` }).click();
  const item = page.getByTestId("review-item");
  await item.getByTestId("answer").waitFor();
  assert.match(
    (await item.getByTestId("feedback").textContent()) ?? "",
    /Thumbs down.*Marked wrong/,
  );
  assert.equal(await item.getByTestId("proposed").textContent(), CORRECTION);
  const pii = item.getByTestId("pii");
  assert.match((await pii.textContent()) ?? "", /e-mail address in the question: a\*+m/);
  assert.equal(
    await item.locator("mark.review-pii").first().textContent(),
    "(personal data, e-mail address) ana.berg@example.com",
  );
  await snap(page, "review-item");
  await pii.getByRole("button", { name: "Redact personal data" }).click();
  await page
    .getByTestId("review-note")
    .getByText(/Replaced 1 piece of personal data \(1 email\)/)
    .waitFor();
  await item.getByRole("heading", { name: "When are you open? Write to [EMAIL]" }).waitFor();
  assert.equal(await item.locator("mark.review-tag").count(), 1);
  assert.equal(await item.getByTestId("pii").count(), 0);

  await item.getByRole("button", { name: "Edit, then accept" }).click();
  const answer = item.getByLabel("The answer it should give");
  assert.equal(await answer.inputValue(), CORRECTION);
  await answer.fill(EDITED);
  await item.getByLabel("Note (optional)").fill("added the days");
  await item.getByRole("button", { name: "Accept this answer" }).click();
  await page.getByTestId("review-note").getByText("Accepted with your answer.").waitFor();
  const decision = item.getByTestId("decision");
  assert.match(
    (await decision.textContent()) ?? "",
    new RegExp(`Accepted by ${me.owner} on .*Note: “added the days”`),
  );
  assert.equal(await decision.getByTestId("final-answer").textContent(), EDITED);
  await page.getByText("Nothing waits for review").waitFor(); // the queue shows pending ones
  await snap(page, "review-accepted");

  // Versions & health: the name, its v1, the retrain's plan in words
  await page.getByRole("link", { name: "Versions & health" }).click();
  await page.getByRole("heading", { name: "Versions & health", level: 1 }).waitFor();
  assert.equal(await page.title(), "Versions & health · Tailor studio");
  await page.getByTestId("names").getByText("support").waitFor();
  await page.getByRole("button", { name: "Open support" }).click();
  const versions = page.getByTestId("versions");
  await versions.getByText("answering now").waitFor();
  assert.match(
    (await versions.locator("tbody tr").first().textContent()) ?? "",
    /v1 answering now.*tiny.*Added by hand/,
  );
  await snap(page, "versions");

  await page.getByRole("tab", { name: "Retrain" }).click();
  await page.getByRole("button", { name: "Retrain with 1 accepted review" }).click();
  const plan = page.getByTestId("plan");
  await plan.getByRole("button", { name: "Start retraining" }).waitFor();
  assert.ok(((await plan.textContent()) ?? "").length > 80, "the plan is said in words");
  await snap(page, "retrain-plan");

  // the regression set: pin two, unpin one
  await page.getByRole("tab", { name: "Regression set" }).click();
  await page.getByText("Nothing pinned yet").waitFor();
  for (const [q, a] of [
    ["Do you ship abroad?", "Yes, to the EU."],
    ["Can I return a bike?", "Within 30 days."],
  ] as const) {
    await page.getByLabel("Question", { exact: true }).fill(q);
    await page.getByLabel("The answer it must keep giving").fill(a);
    await page.getByRole("button", { name: "Pin this example" }).click();
    await page.getByTestId("pinned").getByText(q).waitFor();
  }
  await page.getByRole("button", { name: "Unpin “Can I return a bike?”" }).click();
  await page.getByText("Unpinned.").waitFor();
  const pinned = await page.getByTestId("pinned").locator("li").allTextContents();
  assert.equal(pinned.length, 1);
  assert.match(
    pinned[0] ?? "",
    new RegExp(`Do you ship abroad\\?Must answer: Yes, to the EU\\.Pinned by ${me.owner}`),
  );
  await snap(page, "regression");

  // health: today's question, thumbs down and wrong answer
  await page.getByRole("tab", { name: "Health" }).click();
  const summary = page.getByTestId("health-summary");
  await summary.waitFor({ timeout: 60_000 });
  const said = (await summary.locator("p").allTextContents()).slice(1); // the server's sentences
  assert.ok(said.length > 0 && said.every((s) => s.length > 10), said.join("\n"));
  for (const chart of ["requests", "feedback", "flags", "unfamiliar", "length"])
    await page.getByTestId(`chart-${chart}`).locator("canvas").waitFor();
  await page.getByText("The numbers, day by day (1 day with use)").click();
  const today = new Date().toISOString().slice(0, 10);
  const rows = page.getByTestId("health-days").locator("tbody tr");
  assert.equal(await rows.count(), 1);
  const cells = await rows.first().locator("td").allTextContents();
  // the day, 1 question, 0 thumbs up, 1 thumbs down, 1 wrong, 0 flags
  assert.deepEqual(cells.slice(0, 6), [today, "1", "0", "1", "1", "0"]);
  await snap(page, "health");

  // a second version: promoted and rolled back, each with a why; the history says who and why
  await page.getByRole("tab", { name: "Versions" }).click();
  await page.getByRole("button", { name: "Add a version" }).click();
  await page.getByLabel("Model", { exact: true }).selectOption("tiny");
  await page.getByLabel("Why add it?").fill("the same model again, to compare");
  await page.getByRole("button", { name: "Add the version" }).click();
  await page.getByTestId("name-note").getByText("Version 2 added; promote it").waitFor();
  await page.getByRole("button", { name: "Promote version 2" }).click();
  await page.getByLabel("Why promote version 2?").fill("answers the new prices");
  await page.getByRole("button", { name: "Promote now" }).click();
  await page.getByTestId("name-note").getByText("Version 2 answers now.").waitFor();
  await page.getByRole("button", { name: "Roll back to version 1" }).click();
  await page.getByLabel("Why roll back to version 1?").fill("customers complained");
  await page.getByRole("button", { name: "Roll back now" }).click();
  await page.getByTestId("name-note").getByText("Version 1 answers now.").waitFor();
  const history = await page.getByTestId("history").locator("li").allTextContents();
  assert.match(
    history[0] ?? "",
    new RegExp(
      `Rolled back to version 1 \\(from version 2\\).*by ${actor}.*“customers complained”`,
    ),
  );
  assert.match(
    history[1] ?? "",
    new RegExp(`Promoted version 2 \\(was version 1\\).*by ${actor}.*“answers the new prices”`),
  );
  const named = (await call("GET", "/v1/model_names/support")) as { current: number };
  assert.equal(named.current, 1);
  await snap(page, "promoted-and-rolled-back");

  // a phone's width: the versions, the health, the review item
  await page.setViewportSize({ width: 390, height: 844 });
  await fitsWidth(page, "versions");
  await snap(page, "phone-versions");
  await page.getByRole("tab", { name: "Health" }).click();
  await page.getByTestId("health-summary").waitFor();
  await fitsWidth(page, "health");
  await snap(page, "phone-health");
  await page.getByRole("link", { name: "Review" }).click();
  await page.getByLabel("Show").selectOption({ label: "Accepted" });
  await page.getByRole("button", { name: `Review “When are you open? Write to [EMAIL]”` }).click();
  await page.getByTestId("decision").waitFor();
  await fitsWidth(page, "review");
  await snap(page, "phone-review");

  await context.close();
  assert.deepEqual(problems, []);
});
