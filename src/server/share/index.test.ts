/**
 * The share page's server in process (hono's app.request) on a real database (assistants,
 * conversations, keys, audit) with a scripted engine: the page and its headers, the 404 after an
 * unpublish, the passcode and its cookie, the visitor's own conversation, the streamed answer
 * stored with its version, feedback, the per-visitor rate limit, keys-only access, and bodies
 * refused. The real engine and a browser are in src/server/share.e2e.test.ts.
 */
import assert from "node:assert/strict";
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { ShareEvent, ShareInfo, ShareMessage } from "../../../protocol/api/share.ts";
import { PolicyInput } from "../../../protocol/moderation.ts";
import { ensureAdminKey, RateLimiter } from "../../auth/index.ts";
import { cliSandbox } from "../../cli/__fixtures__/cli.ts";
import { PlanCache } from "../../jobs/index.ts";
import { KnowledgeBase } from "../../knowledge/index.ts";
import { EngineModerator, EngineNameFinder } from "../../safety/index.ts";
import { openServices, type Services } from "../../services/index.ts";
import type { GenerateEvent, InferenceEngine } from "../../serving/index.ts";
import { pytorchChat } from "../../serving/index.ts";
import { buildApp } from "../app.ts";
import { DEFAULT_LIMITS } from "../context.ts";
import { VISITORS_PER_ADDRESS } from "./limits.ts";
import { SHARE_KEY_FILE } from "./signing.ts";

const { home, tiny } = cliSandbox("tailor-share-");
const dist = join(home, "dist");

/** An engine that answers every generation with the same words, in pieces. */
class ScriptedEngine {
  asked = 0;
  async *generate(): AsyncGenerator<GenerateEvent> {
    this.asked++;
    const text = "Hello there, visitor.";
    for (const t of text.match(/.{1,5}/g) ?? []) yield { type: "delta", index: 0, text: t };
    yield {
      type: "result",
      choices: [{ index: 0, text, finish_reason: "stop" }],
      prompt_tokens: 10,
      completion_tokens: 5,
    };
  }
  async countTokens(): Promise<number> {
    return 10;
  }
  async close(): Promise<void> {}
}

/** A browser's cookie jar, just enough for one path. */
class Visitor {
  private readonly jar = new Map<string, string>();
  constructor(
    private readonly app: ReturnType<typeof buildApp>,
    private readonly headers: Record<string, string> = {},
  ) {}

  async call(path: string, init: { method?: string; body?: unknown; raw?: string } = {}) {
    const headers: Record<string, string> = { ...this.headers };
    if (this.jar.size) headers.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join("; ");
    if (init.body !== undefined || init.raw !== undefined)
      headers["content-type"] = "application/json";
    const res = await this.app.request(path, {
      method: init.method ?? (init.body === undefined && init.raw === undefined ? "GET" : "POST"),
      headers,
      ...(init.raw !== undefined
        ? { body: init.raw }
        : init.body !== undefined
          ? { body: JSON.stringify(init.body) }
          : {}),
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair?.indexOf("=") ?? -1;
      if (pair && eq > 0) this.jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return res;
  }

  /** Asks and reads the events to the end. */
  async ask(slug: string, conv: string, content: string) {
    const res = await this.call(`/a/${slug}/api/conversations/${conv}/messages`, {
      body: { content },
    });
    if (res.status !== 200) return { status: res.status, events: [] as ShareEvent[], res };
    const text = await res.text();
    const events = text
      .split("\n")
      .filter((l) => l.startsWith("data:"))
      .map((l) => JSON.parse(l.slice(5)) as ShareEvent);
    return { status: res.status, events, res };
  }
}

let services: Services;
let app: ReturnType<typeof buildApp>;
const engine = new ScriptedEngine();
let adminKey = "";

before(() => {
  tiny();
  mkdirSync(dist, { recursive: true });
  writeFileSync(join(dist, "share.html"), "<!doctype html><title>share</title>");
  services = openServices(home);
  adminKey = ensureAdminKey(home, services.keys).key;
  const inference = engine as unknown as InferenceEngine;
  app = buildApp({
    ...services,
    plans: new PlanCache(services),
    inference,
    ...pytorchChat(inference),
    safety: inference,
    moderator: new EngineModerator(inference),
    names: new EngineNameFinder(inference),
    knowledge: new KnowledgeBase(services.db, { embedder: inference, files: services.files }),
    limiter: new RateLimiter({ requestsPerMinute: 1000 }),
    limits: DEFAULT_LIMITS,
    functionPrivateHosts: [],
    studioDir: dist,
  });
});
after(() => {
  services.close();
  rmSync(home, { recursive: true, force: true });
});

function assistant(name: string, publish: Parameters<Services["assistants"]["publish"]>[1]) {
  const a = services.assistants.create("local-admin", "key-test", {
    name,
    model: "tiny",
    greeting: "Hi! Ask me about the course.",
    suggested_questions: ["When is the exam?"],
    retention_days: 7,
  });
  return services.assistants.publish(a.id, publish);
}

describe("the share page", () => {
  test("the page has strict headers; an unknown slug and an unpublished one are 404 at once", async () => {
    const a = assistant("Course tutor", { access: "public", slug: "course-tutor" });
    const v = new Visitor(app);
    const page = await v.call("/a/course-tutor");
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>share<\/title>/);
    const csp = page.headers.get("content-security-policy") ?? "";
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.equal(page.headers.get("referrer-policy"), "no-referrer");
    assert.equal(page.headers.get("x-frame-options"), "DENY");

    const info = (await (await v.call("/a/course-tutor/api/info")).json()) as ShareInfo;
    assert.equal(info.name, "Course tutor");
    assert.equal(info.unlocked, true);
    assert.equal(info.greeting, "Hi! Ask me about the course.");
    assert.deepEqual(info.suggested_questions, ["When is the exam?"]);
    assert.equal(
      info.notice,
      "Conversations are kept for 7 days so the owner can improve this assistant. Don't share personal details.",
    );
    assert.equal(statSync(join(home, SHARE_KEY_FILE)).mode & 0o777, 0o600);

    assert.equal((await v.call("/a/no-such-page")).status, 404);
    assert.equal((await v.call("/a/no-such-page/api/info")).status, 404);
    assert.equal((await v.call("/a/course-tutor/whatever")).status, 404, "not the studio's app");
    services.assistants.unpublish(a.id);
    const gone = await v.call("/a/course-tutor");
    assert.equal(gone.status, 404);
    assert.match(await gone.text(), /not available/);
    const api = await v.call("/a/course-tutor/api/info");
    assert.equal(api.status, 404);
    assert.match(
      ((await api.json()) as { error: { message: string } }).error.message,
      /taken it down/,
    );
  });

  test("a passcode: wrong ones refused and slowed down, the right one opens the page by cookie", async () => {
    assistant("Clinic intake", { access: "passcode", passcode: "open-sesame", slug: "clinic" });
    const v = new Visitor(app);
    const locked = (await (await v.call("/a/clinic/api/info")).json()) as ShareInfo;
    assert.equal(locked.access, "passcode");
    assert.equal(locked.unlocked, false);
    assert.equal(locked.greeting, "", "nothing but the name before the passcode");
    assert.equal((await v.call("/a/clinic/api/conversations", { method: "POST" })).status, 401);

    const wrong = await v.call("/a/clinic/api/unlock", { body: { passcode: "guess" } });
    assert.equal(wrong.status, 401);
    assert.match(
      ((await wrong.json()) as { error: { message: string } }).error.message,
      /not right/,
    );
    const right = await v.call("/a/clinic/api/unlock", { body: { passcode: "open-sesame" } });
    assert.equal(right.status, 200);
    const cookie = right.headers.getSetCookie().find((c) => c.startsWith("tailor_unlock="));
    assert.ok(cookie);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.match(cookie, /Path=\/a\/clinic/);
    assert.equal(((await right.json()) as ShareInfo).unlocked, true);
    assert.equal((await v.call("/a/clinic/api/conversations", { method: "POST" })).status, 201);

    const guesser = new Visitor(app);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push(
        (await guesser.call("/a/clinic/api/unlock", { body: { passcode: `no${i}` } })).status,
      );
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429]);
    const slowed = await guesser.call("/a/clinic/api/unlock", {
      body: { passcode: "open-sesame" },
    });
    assert.equal(slowed.status, 429, "even the right passcode waits its turn");
    assert.ok(Number(slowed.headers.get("retry-after")) >= 1);
    const denied = services.audit.list({ action: "share.unlock" });
    assert.ok(denied.length >= 5);
    assert.match(denied[0]?.client ?? "", /^visitor:v_[0-9a-f]{24}$/);
  });

  test("a visitor asks: the answer streams, both messages are kept with the version; others get 404", async () => {
    const a = assistant("Shop help", {
      access: "public",
      slug: "shop-help",
      visitor_requests_per_minute: 3,
    });
    const v = new Visitor(app);
    const conv = (await (
      await v.call("/a/shop-help/api/conversations", { method: "POST" })
    ).json()) as {
      id: string;
    };
    const { status, events } = await v.ask("shop-help", conv.id, "  Where is my order?  ");
    assert.equal(status, 200);
    assert.deepEqual([...new Set(events.map((e) => e.type))], ["question", "text", "done"]);
    const text = events.flatMap((e) => (e.type === "text" ? [e.delta] : [])).join("");
    assert.equal(text, "Hello there, visitor.");
    const done = events.at(-1) as { type: "done"; message: ShareMessage };
    assert.equal(done.message.content, "Hello there, visitor.");

    const stored = services.conversations.get(conv.id);
    assert.equal(stored.channel, "share");
    assert.deepEqual(
      stored.messages.map((m) => [m.role, m.content, m.version]),
      [
        ["user", "Where is my order?", a.version],
        ["assistant", "Hello there, visitor.", a.version],
      ],
    );

    const mine = await v.call(`/a/shop-help/api/conversations/${conv.id}`);
    assert.equal(mine.status, 200);
    const someoneElse = new Visitor(app);
    await someoneElse.call("/a/shop-help/api/info");
    assert.equal((await someoneElse.call(`/a/shop-help/api/conversations/${conv.id}`)).status, 404);
    assert.equal((await someoneElse.ask("shop-help", conv.id, "mine now?")).status, 404);

    const fb = await v.call(
      `/a/shop-help/api/conversations/${conv.id}/messages/${done.message.id}/feedback`,
      {
        body: { rating: "down", wrong: true, correction: "It ships on Monday." },
      },
    );
    assert.equal(fb.status, 200);
    const saved = services.conversations.get(conv.id).messages[1]?.feedback;
    assert.equal(saved?.rating, "down");
    assert.equal(saved?.correction, "It ships on Monday.");
    const onQuestion = await v.call(
      `/a/shop-help/api/conversations/${conv.id}/messages/${stored.messages[0]?.id}/feedback`,
      { body: { rating: "up" } },
    );
    assert.equal(onQuestion.status, 404, "feedback goes on answers");

    // 3 a minute: the fourth question is refused with a sentence and Retry-After
    await v.ask("shop-help", conv.id, "two");
    await v.ask("shop-help", conv.id, "three");
    const fourth = await v.ask("shop-help", conv.id, "four");
    assert.equal(fourth.status, 429);
    assert.ok(Number(fourth.res.headers.get("retry-after")) >= 1);
    const { error } = (await fourth.res.json()) as { error: { message: string } };
    assert.match(error.message, /faster than this assistant allows \(3 a minute\)/);
  });

  test("visitors on one address (a class on one network) share VISITORS_PER_ADDRESS visitors' worth", async () => {
    assistant("Class help", {
      access: "public",
      slug: "class-help",
      visitor_requests_per_minute: 2,
    });
    let asked = 0;
    let refused = false;
    while (!refused && asked <= 2 * VISITORS_PER_ADDRESS + 2) {
      const next = new Visitor(app); // a new visitor each time: a pupil, or cookies cleared
      const c = (await (
        await next.call("/a/class-help/api/conversations", { method: "POST" })
      ).json()) as { id: string };
      for (let i = 0; i < 2 && !refused; i++) {
        const r = await next.ask("class-help", c.id, `question ${asked}`);
        if (r.status === 429) refused = true;
        else asked++;
      }
    }
    assert.ok(refused, "an address's bucket runs out too");
    assert.equal(asked, 2 * VISITORS_PER_ADDRESS);
  });

  test("bodies are checked: not JSON, empty, too long, too big", async () => {
    assistant("Checker", { access: "public", slug: "checker" });
    const v = new Visitor(app);
    const conv = (await (
      await v.call("/a/checker/api/conversations", { method: "POST" })
    ).json()) as {
      id: string;
    };
    const path = `/a/checker/api/conversations/${conv.id}/messages`;
    const notJson = await v.call(path, { raw: "{nope" });
    assert.equal(notJson.status, 400);
    const empty = await v.call(path, { body: { content: "   " } });
    assert.equal(empty.status, 400);
    assert.match(
      ((await empty.json()) as { error: { message: string } }).error.message,
      /content: write a question/,
    );
    assert.equal((await v.call(path, { body: { content: "x".repeat(4001) } })).status, 400);
    assert.equal((await v.call(path, { body: { content: "x".repeat(70_000) } })).status, 413);
    assert.equal((await v.call("/a/checker/api/nothing-here")).status, 404);
  });

  test("keys only: no key is 401, a Tailor key opens it", async () => {
    assistant("Staff only", { access: "keys", slug: "staff-only" });
    const anon = new Visitor(app);
    const info = (await (await anon.call("/a/staff-only/api/info")).json()) as ShareInfo;
    assert.equal(info.access, "keys");
    assert.equal(info.unlocked, false);
    assert.equal(
      (await anon.call("/a/staff-only/api/conversations", { method: "POST" })).status,
      401,
    );
    const bad = new Visitor(app, { authorization: "Bearer tailor-sk-nope" });
    assert.equal(
      (await bad.call("/a/staff-only/api/conversations", { method: "POST" })).status,
      401,
    );
    const staff = new Visitor(app, { authorization: `Bearer ${adminKey}` });
    assert.equal(
      ((await (await staff.call("/a/staff-only/api/info")).json()) as ShareInfo).unlocked,
      true,
    );
    const conv = (await (
      await staff.call("/a/staff-only/api/conversations", { method: "POST" })
    ).json()) as {
      id: string;
    };
    const { status, events } = await staff.ask("staff-only", conv.id, "hello");
    assert.equal(status, 200);
    assert.equal(events.at(-1)?.type, "done");
  });

  test("the assistant's moderation policy: a blocked question is refused, kept, and audited for the visitor", async () => {
    services.policies.create(
      PolicyInput.parse({
        name: "no-refunds-talk",
        input: { blocked_terms: ["chargeback"] },
        refusal: "I can't help with chargebacks here; please write to the shop.",
      }),
    );
    const a = services.assistants.create("local-admin", "key-test", {
      name: "Moderated",
      model: "tiny",
      moderation_policy: "no-refunds-talk",
    });
    services.assistants.publish(a.id, { access: "public", slug: "moderated" });
    const v = new Visitor(app);
    const conv = (await (
      await v.call("/a/moderated/api/conversations", { method: "POST" })
    ).json()) as {
      id: string;
    };
    const asked = engine.asked;
    const { events } = await v.ask("moderated", conv.id, "How do I file a chargeback?");
    assert.equal(engine.asked, asked, "the model never saw the question");
    const done = events.at(-1) as { type: "done"; message: ShareMessage };
    assert.equal(done.type, "done");
    assert.equal(
      done.message.content,
      "I can't help with chargebacks here; please write to the shop.",
    );
    assert.equal(done.message.finish_reason, "content_filter");
    const stored = services.conversations.get(conv.id).messages;
    assert.deepEqual(
      stored.map((m) => m.finish_reason),
      [null, "content_filter"],
    );
    const [flag] = services.audit.list({ action: "moderation" });
    assert.equal(flag?.action, "moderation.blocked");
    assert.equal(flag?.key_id, null);
    assert.match(flag?.client ?? "", /^visitor:v_/);
  });

  test("a tampered visitor cookie is a new visitor", async () => {
    assistant("Tamper", { access: "public", slug: "tamper" });
    const v = new Visitor(app);
    const conv = (await (
      await v.call("/a/tamper/api/conversations", { method: "POST" })
    ).json()) as {
      id: string;
    };
    const stored = services.conversations.get(conv.id);
    const forged = new Visitor(app, {
      cookie: `tailor_visitor=${stored.visitor}.AAAA`,
    });
    assert.equal((await forged.call(`/a/tamper/api/conversations/${conv.id}`)).status, 404);
  });
});
