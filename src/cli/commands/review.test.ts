/**
 * `tailor review` and `tailor models pin|regression|unpin` as a user runs them, each command in its
 * own process against one TAILOR_HOME (no engine: names are not looked for). Feedback is filed
 * through the services, as the API's feedback routes file it.
 */
import assert from "node:assert/strict";
import { userInfo } from "node:os";
import { after, test } from "node:test";
import type { NewReviewItem, RegressionExample, ReviewItem } from "../../../protocol/review.ts";
import { openServices } from "../../services/index.ts";
import { cliSandbox } from "../__fixtures__/cli.ts";

const { home, tailor, file } = cliSandbox("tailor-review-cli-");
const services = openServices(home);
after(() => services.close());
const me = userInfo().username || "local";

let n = 0;
const answer = (f: Partial<ReviewItem["feedback"]>, question: string): ReviewItem => {
  n++;
  const item: NewReviewItem = {
    source: "completion",
    source_id: `chatcmpl-${n}`,
    message_id: null,
    model: "support",
    resolved_model: "smollm2-135m-instruct",
    owner: "alice",
    question: [{ role: "user", content: question }],
    answer: "We are open every day.",
    feedback: { rating: null, wrong: false, comment: null, correction: null, ...f },
  };
  return services.review.file(item);
};

const ok = (...args: string[]) => {
  const r = tailor(...args);
  assert.equal(r.code, 0, `tailor ${args.join(" ")}: ${r.stderr}${r.stdout}`);
  return r;
};

test("list, show, accept, edit, reject, redact; a second decision is refused", () => {
  const up = answer({ rating: "up" }, "Are you open on Sunday?");
  const down = answer({ rating: "down", wrong: true }, "Do you fix e-bikes?");
  const mail = answer(
    { rating: "down", correction: "Write to help@northwind.example and we answer." },
    "How do I reach you? I am at pat@example.com",
  );
  const spam = answer({ rating: "down", comment: "lol" }, "asdf");

  const list = ok("review", "list");
  for (const i of [up, down, mail, spam]) assert.match(list.stdout, new RegExp(i.id));
  assert.match(list.stdout, /Are you open on Sunday\?\s+We are open every day\./);
  assert.match(list.stdout, /down, wrong\s+Do you fix e-bikes\?\s+\(none: edit it with --answer/);

  const show = ok("review", "show", mail.id);
  assert.match(show.stdout, /user: How do I reach you\?/);
  assert.match(show.stdout, /correction:\n {2}Write to help@northwind\.example/);
  assert.match(show.stdout, /EMAIL in the question: p\*{13}m/);

  const refused = tailor("review", "accept", down.id);
  assert.equal(refused.code, 2);
  assert.match(
    refused.stderr,
    /rated down with no correction: write the right answer with --answer/,
  );

  ok("review", "accept", up.id, "--note", "right");
  const edited = JSON.parse(
    ok("review", "edit", down.id, "--answer-file", file("a.txt", "Yes, every make.\n"), "--json")
      .stdout,
  ) as ReviewItem;
  assert.equal(edited.final_answer, "Yes, every make.");
  assert.equal(edited.reviewer, me);
  ok("review", "reject", spam.id, "--note", "spam");
  const twice = tailor("review", "accept", spam.id);
  assert.equal(twice.code, 12);
  assert.match(twice.stderr, new RegExp(`already rejected by ${me} on `));

  const redacted = JSON.parse(ok("review", "redact", mail.id, "--no-names", "--json").stdout) as {
    item: ReviewItem;
    replaced: Record<string, number>;
  };
  assert.deepEqual(redacted.replaced, { EMAIL: 3 });
  assert.equal(redacted.item.question[0]?.content, "How do I reach you? I am at [EMAIL]");
  assert.equal(redacted.item.proposed, "Write to [EMAIL_2] and we answer.");

  const accepted = JSON.parse(ok("review", "list", "--status", "accepted", "--json").stdout);
  assert.deepEqual(
    accepted.map((i: ReviewItem) => i.id),
    [up.id, down.id],
  );
  assert.deepEqual(
    JSON.parse(ok("review", "list", "--json").stdout).map((i: ReviewItem) => i.id),
    [mail.id],
  );
  const actions = services.audit
    .list()
    .filter((e) => e.action.startsWith("review."))
    .map((e) => `${e.action} ${e.target} ${e.owner}`);
  assert.ok(actions.includes(`review.accept ${down.id} ${me}`), actions.join("\n"));
});

test("models pin (by hand and from a review), regression, unpin", () => {
  services.modelNames.create("support", "alice", "smollm2-135m-instruct", "alice", "the bot");
  const item = answer({ rating: "up" }, "Where is the shop?");
  services.review.accept(item.id, "alice");

  ok("models", "pin", "support", "--question", "Do you sell helmets?", "--expected", "Yes.");
  ok("models", "pin", "support", "--from-review", item.id, "--note", "the address");
  const missing = tailor("models", "pin", "support", "--question", "Hi?");
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--expected TEXT/);
  assert.equal(tailor("models", "regression", "nobody").code, 3);

  const set = JSON.parse(ok("models", "regression", "support", "--json").stdout);
  assert.deepEqual(
    set.map((e: RegressionExample) => [e.messages.at(-1)?.content, e.expected, e.note]),
    [
      ["Do you sell helmets?", "Yes.", null],
      ["Where is the shop?", "We are open every day.", "the address"],
    ],
  );
  const shown = ok("models", "regression", "support");
  assert.match(shown.stdout, /Do you sell helmets\?\s+Yes\./);
  ok("models", "unpin", set[0].id);
  assert.deepEqual(
    services.regression.list("support").map((e) => e.id),
    [set[1].id],
  );
  assert.equal(tailor("models", "unpin", set[0].id).code, 3);
});
