/**
 * An assistant from end to end, as its owner and its visitors meet it: a real server (real engine,
 * the tiny model), the official `openai` package for the knowledge base, Tailor's routes by fetch,
 * a node:http endpoint for the assistant's HTTP function (127.0.0.1 on its port is the admin's only
 * private host), and Debian's Chromium on the share page. The tiny model writes noise, so the
 * assistant's tool_choice forces the call (constrained decoding makes its arguments valid) and the
 * answer is checked for being there, not for what it says. Screenshots in test-output/share/.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import OpenAI, { toFile } from "openai";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { AssistantObject } from "../../protocol/api/assistants.ts";
import type { ShareEvent } from "../../protocol/api/share.ts";
import type { AssistantConversationWithMessages } from "../../protocol/assistants.ts";
import { endpoint, ORDER_SHIPPED } from "../assistants/__fixtures__/endpoint.ts";
import { readLocalAdminKey } from "../auth/index.ts";
import { cliSandbox } from "../cli/__fixtures__/cli.ts";
import { checkControls, studioBrowser } from "./__fixtures__/browser.ts";
import { type RunningServer, startServer } from "./index.ts";

const { home, tiny } = cliSandbox("tailor-share-e2e-", { HF_HUB_OFFLINE: "1" });
const SECRET = "sk-shop-7f3a9c21";
const RETURNS = `# Returns

You may return any bike within 30 days of purchase, with its receipt, for a full refund.
`;

let server: RunningServer;
let browser: Browser;
let shots = "";
let port = 0;
let client: OpenAI;
let adminKey = "";
/** The function's endpoint: /moved redirects to a host the assistant may not reach. */
const api = endpoint((req, res, body) => {
  if (req.url?.startsWith("/moved")) {
    res.writeHead(302, { location: "http://blocked.example.net/orders" });
    res.end();
    return;
  }
  ORDER_SHIPPED(req, res, body);
});
const received = api.seen;

before(async () => {
  tiny();
  port = await api.start();
  server = await startServer({
    home,
    port: 0,
    worker: false,
    functionPrivateHosts: [`127.0.0.1:${port}`],
  });
  adminKey = readLocalAdminKey(home) ?? "";
  client = new OpenAI({ apiKey: adminKey, baseURL: `${server.url}/v1`, maxRetries: 0 });
  ({ browser, shots } = await studioBrowser("share"));
});
after(async () => {
  await browser?.close();
  await server?.close();
  await api.stop();
});

/** Tailor's own routes (no OpenAI call has their shape), with the admin key. */
async function tailor<T>(path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.url}/v1${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

const orderStatus = (url: string) => ({
  kind: "http",
  name: "order_status",
  description: "Where the customer's order is",
  parameters: {
    type: "object",
    properties: { order_id: { type: "string", pattern: "^A-[0-9]{3}$" } },
    required: ["order_id"],
    additionalProperties: false,
  },
  url,
  method: "POST",
  timeout_ms: 5000,
  headers: [{ name: "X-Shop-Key", value: SECRET, secret: true }],
});

/** An assistant on the tiny model that must call order_status first, published at `slug`. */
async function publishedAssistant(
  slug: string,
  url: string,
  extra: Record<string, unknown> = {},
): Promise<AssistantObject> {
  const made = await tailor<AssistantObject>("/assistants", {
    name: "Bike shop helper",
    model: "tiny",
    instructions: "You help the customers of a bike shop.",
    sampling: { temperature: 0, max_tokens: 40 },
    functions: [orderStatus(url)],
    tool_choice: { name: "order_status" },
    max_function_calls: 1,
    greeting: "Hello! Ask me about your order or our returns.",
    suggested_questions: ["Can I return my bike?", "Where is my order?"],
    retention_days: 30,
    ...extra,
  });
  assert.equal(made.status, 200, JSON.stringify(made.body));
  const published = await tailor<AssistantObject>(`/assistants/${made.body.id}/publish`, {
    access: "public",
    slug,
  });
  assert.equal(published.status, 200, JSON.stringify(published.body));
  assert.equal(published.body.tailor.share_path, `/a/${slug}`);
  return published.body;
}

/** A visitor's question through the page's API (as the page sends it), the events read to the end. */
async function askThroughApi(context: BrowserContext, slug: string, content: string) {
  const api = `${server.url}/a/${slug}/api`;
  assert.equal((await context.request.get(`${api}/info`)).status(), 200);
  const conv = (await (await context.request.post(`${api}/conversations`)).json()) as {
    id: string;
  };
  const res = await context.request.post(`${api}/conversations/${conv.id}/messages`, {
    data: { content },
  });
  assert.equal(res.status(), 200);
  const events = (await res.text())
    .split("\n")
    .filter((l) => l.startsWith("data:"))
    .map((l) => JSON.parse(l.slice(5)) as ShareEvent);
  return { conversation: conv.id, events };
}

/** The whole page; on a phone, the screen scrolled to the end (the question box stays at its bottom). */
async function snap(page: Page, name: string, opts: { screen?: boolean } = {}): Promise<void> {
  if (opts.screen) await page.evaluate("window.scrollTo(0, document.body.scrollHeight)");
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: !opts.screen });
}

test("a visitor asks on the share page: the function is called, the answer and its sources show; the owner sees it", async () => {
  const vs = await client.vectorStores.create({ name: "Bike shop policies" });
  const doc = await client.vectorStores.files.uploadAndPoll(
    vs.id,
    await toFile(Buffer.from(RETURNS), "returns.md"),
  );
  assert.equal(doc.status, "completed", JSON.stringify(doc.last_error));
  const a = await publishedAssistant("bike-shop", `http://127.0.0.1:${port}/orders`, {
    knowledge: { vector_store_ids: [vs.id], max_passages: 2 },
  });
  assert.ok(!JSON.stringify(a).includes(SECRET), "the secret header is never shown again");

  const desktop = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await desktop.newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(String(e)));
  const opened = await page.goto(`${server.url}/a/bike-shop`);
  assert.equal(opened?.status(), 200);
  assert.match(opened?.headers()["content-security-policy"] ?? "", /frame-ancestors 'none'/);
  await page.getByRole("heading", { name: "Bike shop helper" }).waitFor();
  await page.getByText("Hello! Ask me about your order or our returns.").waitFor();
  await page
    .getByText(
      "Conversations are kept for 30 days so the owner can improve this assistant. Don't share personal details.",
    )
    .waitFor();
  await checkControls(page, "share page, before a question");
  await snap(page, "01-desktop-greeting");

  await page.getByRole("button", { name: "Can I return my bike?" }).click();
  await page.getByRole("button", { name: "Good answer" }).waitFor({ timeout: 120_000 });
  await page.getByText("Used order_status: done").waitFor();
  // the endpoint got the call, with the secret header
  const call = received.find((r) => r.url === "/orders");
  assert.ok(call, "the test endpoint saw the function's request");
  assert.equal(call.headers["x-shop-key"], SECRET);
  assert.match((JSON.parse(call.body) as { order_id: string }).order_id, /^A-[0-9]{3}$/);
  // the answer, and its source with the passage behind a click
  const answer = page.locator("li.message.assistant:not(.greeting) .bubble").first();
  assert.ok(((await answer.textContent()) ?? "").trim().length > 0, "the answer has text");
  const source = page.getByText("[1] returns.md, Returns");
  await source.click();
  await page.getByText(/return any bike within 30 days/).waitFor();
  await checkControls(page, "share page, an answer");
  await snap(page, "02-desktop-answer-sources");

  await page.getByRole("button", { name: "Bad answer" }).click();
  await page.getByText("Thank you: the assistant's owner will see this.").waitFor();
  await page.getByRole("button", { name: "This answer was wrong" }).click();
  await page
    .getByLabel("What should it have said? (optional)")
    .fill("Yes: within 30 days, with the receipt.");
  await page.getByRole("button", { name: "Send feedback" }).click();
  await page.getByText("You said this answer was wrong.").waitFor();
  await snap(page, "03-desktop-feedback");

  // a second visitor cannot read the first one's conversation
  const conversation = (await page.evaluate(
    "sessionStorage.getItem('tailor.share.bike-shop.conversation')",
  )) as string;
  assert.match(conversation, /^conv_/);
  const own = await desktop.request.get(
    `${server.url}/a/bike-shop/api/conversations/${conversation}`,
  );
  assert.equal(own.status(), 200);
  const stranger = await browser.newContext();
  await (await stranger.newPage()).goto(`${server.url}/a/bike-shop`);
  const theirs = await stranger.request.get(
    `${server.url}/a/bike-shop/api/conversations/${conversation}`,
  );
  assert.equal(theirs.status(), 404);
  await stranger.close();

  // on a phone: one column, nothing wider than the screen, tap targets of 44 px
  const phone = await browser.newContext({
    viewport: { width: 375, height: 740 },
    isMobile: true,
    hasTouch: true,
  });
  const small = await phone.newPage();
  await small.goto(`${server.url}/a/bike-shop`);
  await small.getByRole("button", { name: "Can I return my bike?" }).click();
  await small.getByRole("button", { name: "Good answer" }).waitFor({ timeout: 120_000 });
  await small.getByText("[1] returns.md, Returns").click();
  const layout = (await small.evaluate(`(() => {
    const small = [...document.querySelectorAll("button, summary, textarea, input")]
      .filter((el) => el.getClientRects().length > 0)
      .map((el) => ({ el: el.outerHTML.slice(0, 80), r: el.getBoundingClientRect() }))
      .filter(({ r }) => r.height < 44 || r.width < 44)
      .map(({ el, r }) => el + " " + Math.round(r.width) + "x" + Math.round(r.height));
    return { scroll: document.documentElement.scrollWidth, width: window.innerWidth, small };
  })()`)) as { scroll: number; width: number; small: string[] };
  assert.ok(
    layout.scroll <= layout.width,
    `no horizontal scroll: ${layout.scroll} > ${layout.width}`,
  );
  assert.deepEqual(layout.small, [], "tap targets under 44 px");
  await snap(small, "04-phone-answer", { screen: true });
  await phone.close();

  // the owner sees the conversation, the version that answered, its sources, the call, the feedback
  const listed = await tailor<{ data: { id: string; feedback: Record<string, number> }[] }>(
    `/assistants/${a.id}/conversations`,
  );
  assert.equal(listed.status, 200);
  const mine = listed.body.data.find((c) => c.id === conversation);
  assert.deepEqual(mine?.feedback, { up: 0, down: 1, wrong: 1 });
  const read = await tailor<AssistantConversationWithMessages>(
    `/assistants/${a.id}/conversations/${conversation}`,
  );
  assert.equal(read.status, 200);
  const [question, reply] = read.body.messages;
  assert.equal(read.body.channel, "share");
  assert.equal(question?.content, "Can I return my bike?");
  assert.equal(question?.version, 1);
  assert.equal(reply?.role, "assistant");
  assert.equal(reply?.version, 1);
  assert.equal(reply?.sources[0]?.filename, "returns.md");
  assert.deepEqual(
    reply?.function_calls.map((f) => [f.name, f.status, f.http_status]),
    [["order_status", "ok", 200]],
  );
  assert.equal(reply?.feedback?.rating, "down");
  assert.equal(reply?.feedback?.wrong, true);
  assert.equal(reply?.feedback?.correction, "Yes: within 30 days, with the receipt.");
  assert.ok(!JSON.stringify(read.body).includes(SECRET));

  // unpublished: the open page says so at its next question, and the page and its API are 404
  const down = await tailor<AssistantObject>(`/assistants/${a.id}/unpublish`, {});
  assert.equal(down.status, 200);
  await page.getByLabel("Your question").fill("Are you still there?");
  await page.getByRole("button", { name: "Send" }).click();
  await page.getByRole("heading", { name: "Not available" }).waitFor();
  await snap(page, "05-unpublished");
  const again = await desktop.newPage();
  assert.equal((await again.goto(`${server.url}/a/bike-shop`))?.status(), 404);
  assert.equal((await desktop.request.get(`${server.url}/a/bike-shop/api/info`)).status(), 404);
  await desktop.close();
  assert.deepEqual(problems, []);
});

test("functions at a host not allowed, or at a loopback address the admin did not allow, are refused", async () => {
  // refused when saved: a function's host outside the assistant's allowed hosts
  const bad = await tailor<{ error: { message: string } }>("/assistants", {
    name: "Elsewhere",
    model: "tiny",
    functions: [orderStatus(`http://127.0.0.1:${port}/orders`)],
    allowed_hosts: ["shop.example.com"],
  });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error.message, /not in allowed_hosts/);

  // refused when called: a redirect to another host, and a loopback address not in the admin's list
  const redirected = await publishedAssistant("bike-moved", `http://127.0.0.1:${port}/moved`);
  const loopback = await publishedAssistant("bike-loop", `http://127.0.0.2:${port}/orders`);
  const visitor = await browser.newContext();
  for (const [a, slug] of [
    [redirected, "bike-moved"],
    [loopback, "bike-loop"],
  ] as const) {
    const { conversation, events } = await askThroughApi(visitor, slug, "Where is my order?");
    const result = events.find((e) => e.type === "function_result");
    assert.deepEqual(
      result && { name: result.name, status: result.status },
      { name: "order_status", status: "refused" },
      JSON.stringify(events),
    );
    assert.equal(events.at(-1)?.type, "done", JSON.stringify(events.at(-1)));
    assert.ok(!JSON.stringify(events).includes(SECRET));
    const stored = await tailor<AssistantConversationWithMessages>(
      `/assistants/${a.id}/conversations/${conversation}`,
    );
    assert.equal(stored.body.messages[1]?.function_calls[0]?.status, "refused");
  }
  await visitor.close();
  assert.ok(
    !received.some((r) => r.url === "/orders" && r.headers.host?.startsWith("127.0.0.2")),
    "nothing reached the loopback address",
  );

  // the audit log names each call, its visitor and result (the refusals "denied"), never the secret
  const audit = await tailor<{
    data: {
      key_id: string | null;
      target: string | null;
      result: string;
      client: string | null;
      details: { status?: string; host?: string; duration_ms?: number } | null;
    }[];
  }>("/audit?action=assistant.function_call&limit=100");
  assert.equal(audit.status, 200);
  const calls = audit.body.data.map((e) => [e.target, e.result, e.key_id]);
  assert.deepEqual(
    calls.filter(([, result]) => result === "denied"),
    [
      ["order_status", "denied", null],
      ["order_status", "denied", null],
    ],
  );
  for (const e of audit.body.data) {
    assert.match(e.client ?? "", /^visitor:v_[0-9a-f]{24}$/);
    // each entry says what happened to the call: its own status, the host and how long it took
    assert.ok(e.details?.host, "the call's host is in the audit entry");
    assert.equal(typeof e.details?.duration_ms, "number");
    assert.equal(e.details?.status === "refused", e.result === "denied");
  }
  assert.ok(!JSON.stringify(audit.body).includes(SECRET));
});

test("a passcode page in the browser: the passcode form, then the rate limit's sentence", async () => {
  const a = await publishedAssistant("bike-staff", `http://127.0.0.1:${port}/orders`);
  const locked = await tailor<AssistantObject>(`/assistants/${a.id}/publish`, {
    access: "passcode",
    passcode: "spokes-42",
    visitor_requests_per_minute: 1,
  });
  assert.equal(locked.status, 200, JSON.stringify(locked.body));
  const phone = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true });
  const page = await phone.newPage();
  await page.goto(`${server.url}/a/bike-staff`);
  await page.getByRole("heading", { name: "This assistant needs a passcode" }).waitFor();
  assert.equal(await page.getByText("Hello! Ask me about your order").count(), 0);
  await page.getByLabel("Passcode").fill("spokes-41");
  await page.getByRole("button", { name: "Open" }).click();
  await page.getByText("That passcode is not right. Check it and try again.").waitFor();
  await checkControls(page, "share page, passcode");
  await snap(page, "06-phone-passcode", { screen: true });
  await page.getByLabel("Passcode").fill("spokes-42");
  await page.getByRole("button", { name: "Open" }).click();
  await page.getByText("Hello! Ask me about your order or our returns.").waitFor();

  await page.getByRole("button", { name: "Where is my order?" }).click();
  await page.getByRole("button", { name: "Good answer" }).waitFor({ timeout: 120_000 });
  await page.getByLabel("Your question").fill("And when does it come?");
  await page.getByRole("button", { name: "Send" }).click();
  await page
    .getByRole("alert")
    .getByText(/faster than this assistant allows \(1 a minute\)\. Please wait \d+ seconds/)
    .waitFor();
  assert.equal(
    await page.getByLabel("Your question").inputValue(),
    "And when does it come?",
    "the question is given back to send again",
  );
  await snap(page, "07-phone-rate-limited", { screen: true });
  await phone.close();
});
