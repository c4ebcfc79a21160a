/**
 * The studio's Assistants page in Debian's Chromium (playwright-core) on a real server (real SQLite,
 * engine and tiny model): an assistant made in plain words (a greeting, suggested questions, a web
 * service with a secret header; a schema that is not JSON said as it is typed, the server's refusal
 * of the address said beside it), the secret never shown again (the page's text and fields, the
 * API's JSON), a change saved as version 2, published with a passcode (the share link) and
 * unpublished; a visitor's conversation through the share page's API (the web service called with
 * the secret, thumbs up on one answer, "wrong" on the other) read on the Conversations tab, exported
 * as training JSONL (good only and all), deleted; the page at a phone's width. Screenshots go to
 * test-output/studio-assistants/.
 */
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { endpoint } from "../assistants/__fixtures__/endpoint.ts";
import { readLocalAdminKey } from "../auth/index.ts";
import { cliSandbox } from "../cli/__fixtures__/cli.ts";
import { checkControls, studioBrowser } from "./__fixtures__/browser.ts";
import { type RunningServer, startServer } from "./index.ts";

const { home, tiny } = cliSandbox("tailor-studio-assistants-", { HF_HUB_OFFLINE: "1" });
const SECRET = "sk-test-7f3a9c1e55";
const PASSCODE = "tulip-42";
const FRIDAYS = "And on Fridays? Write to ana.berg@example.com";
let server: RunningServer;
let browser: Browser;
let endpointUrl = "";
/** What the web service was sent: its path and headers. */
/** The web service the assistant calls: the lab's opening hours. */
const api = endpoint((_req, res) => {
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ open: "Mondays 9 to 12, room B2" }));
});
const calls = api.seen;
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
  assert.equal(
    await page.evaluate(
      "document.documentElement.scrollWidth > document.documentElement.clientWidth",
    ),
    false,
    `${where}: the page scrolls sideways`,
  );
}

before(async () => {
  tiny();
  endpointUrl = `http://127.0.0.1:${await api.start()}`;
  server = await startServer({ home, port: 0, functionPrivateHosts: ["127.0.0.1"] });
  ({ browser, shots } = await studioBrowser("studio-assistants"));
});

after(async () => {
  await browser?.close();
  await server?.close();
  await api.stop();
  rmSync(home, { recursive: true, force: true });
});

/** Asks on the share page's API as a visitor would; the stored answer's id. */
async function ask(
  request: import("playwright-core").APIRequestContext,
  base: string,
  conversation: string,
  question: string,
): Promise<string> {
  const r = await request.post(`${base}/api/conversations/${conversation}/messages`, {
    data: { content: question },
  });
  const body = await r.text();
  assert.equal(r.status(), 200, body);
  const done = body
    .split("\n")
    .filter((l) => l.startsWith("data:"))
    .map((l) => JSON.parse(l.slice(5)) as { type: string; message?: { id: string } })
    .find((e) => e.type === "done");
  assert.ok(done?.message?.id, body);
  return done.message.id;
}

test("an assistant set up, published and watched in the studio", async () => {
  const key = readLocalAdminKey(home) ?? "";
  const authorized = { authorization: `Bearer ${key}` };
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(String(e)));

  await page.goto(server.studioUrl);
  await page.getByRole("link", { name: "Assistants" }).click();
  await page.getByRole("heading", { name: "Assistants", level: 1 }).waitFor();
  await page.getByText("No assistants yet").waitFor();
  assert.equal(await page.title(), "Assistants · Tailor studio");
  await snap(page, "empty");

  // the editor, in plain words
  await page.getByRole("button", { name: "New assistant" }).click();
  await page.getByRole("heading", { name: "New assistant" }).waitFor();
  await page.getByLabel("Name", { exact: true }).fill("Biology tutor");
  await page.getByLabel("Model", { exact: true }).selectOption("tiny");
  await page.getByLabel("How should it answer?").fill("You help students of Biology 101.");
  await page.getByLabel("Longest answer (tokens)").fill("64");
  await page.getByLabel("Greeting").fill("Hi! Ask me about the course.");
  for (const [i, q] of ["When is the lab open?", "What is a cell?"].entries()) {
    await page.getByRole("button", { name: "Add a question" }).click();
    await page.getByLabel(`Suggested question ${i + 1}`, { exact: true }).fill(q);
  }

  // a web service with a secret header; its schema checked as it is typed
  await page.getByRole("button", { name: "Add a web service Tailor calls" }).click();
  const fn = page.getByTestId("function");
  await fn.getByLabel("Name", { exact: true }).fill("lab_hours");
  await fn.getByLabel("What it does").fill("When the lab is open.");
  await fn.getByLabel("Web address").fill(`${endpointUrl}/hours/{subject}`);
  const schema = fn.getByLabel("Arguments (JSON Schema)");
  await schema.fill('{"type": "object", "properties": {');
  await fn.getByText(/This is not JSON yet/).waitFor();
  assert.equal(await schema.getAttribute("aria-invalid"), "true");
  await schema.fill(
    '{"type": "object", "properties": {"topic": {"type": "string", "enum": ["lab", "exam"]}}, "required": ["topic"]}',
  );
  await fn.getByText(/This is not JSON yet/).waitFor({ state: "detached" });
  await fn.getByRole("button", { name: "Add a header" }).click();
  await fn.getByLabel("Header 1 name").fill("X-Api-Key");
  await fn.getByLabel("Secret", { exact: true }).check();
  await fn.getByLabel("Header 1 value (secret)").fill(SECRET);
  assert.equal(await fn.getByLabel("Header 1 value (secret)").getAttribute("type"), "password");
  await page
    .getByLabel("Calling a function")
    .selectOption({ label: "Always call lab_hours first" });
  await page.getByLabel("Calls per answer").fill("1");
  await snap(page, "new-assistant");

  // the server refuses the address ({subject} is no argument): said beside the address
  await page.getByRole("button", { name: "Create assistant" }).click();
  await page.getByRole("alert").filter({ hasText: "The assistant was not saved" }).waitFor();
  const address = fn.locator(".field", { has: page.getByLabel("Web address") });
  await address.getByText(/\{subject\} is not one of the arguments/).waitFor();
  assert.equal(await fn.getByLabel("Web address").getAttribute("aria-invalid"), "true");
  await snap(page, "refused-address");
  await fn.getByLabel("Web address").fill(`${endpointUrl}/hours/{topic}`);
  await page.getByRole("button", { name: "Create assistant" }).click();
  await page.getByTestId("saved-note").getByText("Version 1 saved.").waitFor();
  await page.getByRole("heading", { name: "Biology tutor", level: 2 }).waitFor();
  const list = page.getByTestId("assistants");
  await list.getByText("tiny · version 1").waitFor();
  await list.getByText("Not published").waitFor();

  // the secret is stored, never shown: not in the page's text or fields, not in the API's JSON
  await fn.getByTestId("stored-secret").waitFor();
  const id = new URL(page.url()).searchParams.get("id") ?? "";
  assert.match(id, /^asst_/);
  const onPage = (await page.evaluate(`(() => [document.body.innerText,
    ...[...document.querySelectorAll("input, textarea")].map((e) => e.value)].join("\\n"))()`)) as string;
  assert.ok(!onPage.includes(SECRET), "the page shows the secret");
  assert.ok(onPage.includes("stored, hidden"));
  const read = await fetch(`${server.url}/v1/assistants/${id}`, { headers: authorized });
  const json = await read.text();
  assert.equal(read.status, 200, json);
  assert.ok(!json.includes(SECRET), "the API shows the secret");
  const made = JSON.parse(json) as {
    tailor: { settings: { functions: { headers: unknown[] }[]; suggested_questions: string[] } };
  };
  assert.deepEqual(made.tailor.settings.functions[0]?.headers, [
    { name: "X-Api-Key", value: null, secret: true },
  ]);
  assert.deepEqual(made.tailor.settings.suggested_questions, [
    "When is the lab open?",
    "What is a cell?",
  ]);
  await snap(page, "saved");

  // a change is a new version (the stored secret kept: sent back as it was read)
  await page.getByLabel("Greeting").fill("Hello! I answer questions about Biology 101.");
  await page.getByRole("button", { name: "Save as a new version" }).click();
  await page.getByTestId("saved-note").getByText("Version 2 saved.").waitFor();
  await list.getByText("tiny · version 2").waitFor();
  await page.getByRole("tab", { name: "Versions" }).click();
  const versions = page.getByTestId("versions").locator("tbody tr");
  await versions.nth(1).waitFor();
  const rows = await versions.allTextContents();
  assert.equal(rows.length, 2, rows.join("\n"));
  assert.match(rows[0] ?? "", /^2 \(current\).*greeting$/);
  assert.match(rows[1] ?? "", /^1.*created$/);
  await snap(page, "versions");

  // published with a passcode: the link shows, with Copy and Open
  await page.getByRole("tab", { name: "Publish" }).click();
  await page.getByLabel(/Anyone with the link and a passcode/).check();
  await page.getByLabel("Passcode", { exact: true }).fill(PASSCODE);
  await page.getByLabel("The link's last part (optional)").fill("bio-tutor");
  await page.getByRole("button", { name: "Publish", exact: true }).click();
  const share = page.getByTestId("share");
  const link = `${server.url}/a/bio-tutor`;
  await share.getByText("Published.").waitFor();
  assert.equal(await share.getByLabel("Share link").inputValue(), link);
  assert.equal(await share.getByRole("link", { name: "Open" }).getAttribute("href"), link);
  await share.getByRole("button", { name: "Copy" }).click();
  await share.getByText("Copied.").waitFor();
  await list.getByRole("link", { name: link }).waitFor();
  await snap(page, "published");

  // a visitor's conversation on the share page's API: the web service called with the secret
  const visitor = await browser.newContext();
  const base = `${server.url}/a/bio-tutor`;
  assert.equal((await visitor.request.get(`${base}/api/info`)).status(), 200);
  const unlock = await visitor.request.post(`${base}/api/unlock`, {
    data: { passcode: PASSCODE },
  });
  assert.equal(unlock.status(), 200, await unlock.text());
  const started = await visitor.request.post(`${base}/api/conversations`);
  assert.equal(started.status(), 201, await started.text());
  const conv = ((await started.json()) as { id: string }).id;
  const first = await ask(visitor.request, base, conv, "When is the lab open?");
  const second = await ask(visitor.request, base, conv, FRIDAYS);
  for (const [mid, feedback] of [
    [first, { rating: "up", comment: "Exactly what I needed" }],
    [second, { wrong: true }],
  ] as const) {
    const r = await visitor.request.post(
      `${base}/api/conversations/${conv}/messages/${mid}/feedback`,
      {
        data: feedback,
      },
    );
    assert.equal(r.status(), 200, await r.text());
  }
  await visitor.close();
  assert.ok(calls.length >= 1, "the web service was not called");
  assert.match(calls[0]?.url ?? "", /^\/hours\/(lab|exam)$/);
  assert.equal(calls[0]?.headers["x-api-key"], SECRET, "version 2 kept the stored secret");

  // unpublished at once
  await page.getByRole("button", { name: "Unpublish now" }).click();
  await share.getByText("Not published.").waitFor();
  await list.getByText("Not published").waitFor();
  assert.equal((await fetch(`${base}/api/info`)).status, 404);

  // the conversation on the Conversations tab, with its feedback and the function's call
  await page.getByRole("tab", { name: "Conversations" }).click();
  const convs = page.getByTestId("conversations");
  await convs.getByText("When is the lab open?").waitFor();
  const counts = (await convs.getByTestId("counts").textContent()) ?? "";
  assert.match(counts, /1 helpful.*0 not helpful.*1 wrong/);
  assert.match((await convs.locator("li").textContent()) ?? "", /4 messages · share page/);
  await page.getByRole("button", { name: "Read the conversation “When is the lab open?”" }).click();
  const answers = page.getByTestId("answer");
  await answers.nth(1).waitFor();
  const feedback = await page.getByTestId("feedback").allTextContents();
  assert.match(feedback[0] ?? "", /Helpful \(thumbs up\).*“Exactly what I needed”/);
  assert.match(feedback[1] ?? "", /Marked wrong/);
  const call = answers.nth(0).getByTestId("function-call");
  assert.match((await call.textContent()) ?? "", /lab_hours answered \(HTTP 200\) \d+ ms/);
  assert.match((await answers.nth(0).textContent()) ?? "", /Version 2/);
  await snap(page, "conversation");

  // exported as training data: good answers only, then all; every line parses
  const exported = async (label: string) => {
    await page.getByLabel("Export as training data").selectOption({ label });
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download" }).click(),
    ]);
    const path = join(shots, download.suggestedFilename());
    await download.saveAs(path);
    const lines = readFileSync(path, "utf8").split("\n").filter(Boolean);
    return lines.map((l) => JSON.parse(l) as { messages: { role: string; content: string }[] });
  };
  const good = await exported("Good answers only");
  const all = await exported("All answers");
  assert.equal(good.length, 1);
  assert.equal(all.length, 1);
  const asked = (x: (typeof all)[number] | undefined) =>
    x?.messages.filter((m) => m.role === "user").map((m) => m.content);
  assert.deepEqual(asked(all[0]), ["When is the lab open?", FRIDAYS]);
  assert.deepEqual(asked(good[0]), ["When is the lab open?"], "good stops before the wrong answer");
  await page.getByRole("status").filter({ hasText: "Downloaded 1 example." }).waitFor();

  // personal data redacted in the stored conversation
  await page.getByRole("button", { name: "Redact personal data", exact: true }).click();
  await page
    .getByRole("status")
    .filter({ hasText: /Replaced \d+ pieces? of personal data \(.*1 email.*\)/ })
    .waitFor();
  await page
    .locator(".assistants-question")
    .getByText("And on Fridays? Write to [EMAIL]")
    .waitFor();
  await convs.getByText(/· redacted/).waitFor();

  // a phone's width: the list, the settings, the publish panel and the conversation
  await page.setViewportSize({ width: 390, height: 844 });
  await fitsWidth(page, "conversation");
  await snap(page, "phone-conversation");
  await page.getByRole("tab", { name: "Settings" }).click();
  await fn.getByTestId("stored-secret").waitFor();
  await fitsWidth(page, "settings");
  await snap(page, "phone-settings");
  await page.getByRole("tab", { name: "Publish" }).click();
  await fitsWidth(page, "publish");
  await snap(page, "phone-publish");

  // deleted
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByRole("tab", { name: "Conversations" }).click();
  await page.getByRole("button", { name: "Read the conversation “When is the lab open?”" }).click();
  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: "Delete this conversation" }).click();
  await page.getByText("No conversations yet").waitFor();
  const left = await fetch(`${server.url}/v1/assistants/${id}/conversations`, {
    headers: authorized,
  });
  assert.deepEqual(((await left.json()) as { data: unknown[] }).data, []);

  await context.close();
  assert.deepEqual(problems, []);
});
