import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { ListNameFinder } from "./__fixtures__/list-names.ts";
import { findPiiBatch } from "./pii.ts";
import { redactTexts } from "./redact.ts";

// names come from a stand-in here (the engine's are tested in names.test.ts): this tests redaction
const names = new ListNameFinder(["Maria Gonzalez", "John Smith"]);
const opts = { names };

const conversation = [
  "You are a support agent for Northwind.",
  "Hi, I'm Maria Gonzalez. My email is Maria.Gonzalez@example.com and my card 4111 1111 1111 1111 was charged twice for order NW-10482.",
  "Sorry about that, Maria Gonzalez! I have refunded card 4111-1111-1111-1111. Is (415) 555-2671 still your number?",
  "Yes, or +1 415 555 2671. Please also cc john.smith@example.com and maria.gonzalez@example.com.",
];

test("placeholders are consistent across the strings of one example, and numbered", async () => {
  const { texts, replaced } = await redactTexts(conversation, opts);
  assert.deepEqual(texts, [
    "You are a support agent for Northwind.",
    "Hi, I'm [PERSON]. My email is [EMAIL] and my card [CARD] was charged twice for order NW-10482.",
    "Sorry about that, [PERSON]! I have refunded card [CARD]. Is [PHONE] still your number?",
    "Yes, or [PHONE]. Please also cc [EMAIL_2] and [EMAIL].",
  ]);
  assert.deepEqual(replaced, { PERSON: 2, EMAIL: 3, CARD: 2, PHONE: 2 });
});

test("distinct values of each type get their own numbers", async () => {
  const { texts, replaced } = await redactTexts(
    [
      "Servers 10.0.0.1, 10.0.0.2 and 10.0.0.1 again; keys AKIAIOSFODNN7EXAMPLE and AKIAI44QH8DHBEXAMPLE.",
      "IBANs GB82 WEST 1234 5698 7654 32 and GB82WEST12345698765432, SSN 123-45-6789.",
    ],
    opts,
  );
  assert.deepEqual(texts, [
    "Servers [IP], [IP_2] and [IP] again; keys [SECRET] and [SECRET_2].",
    "IBANs [IBAN] and [IBAN], SSN [NATIONAL_ID].",
  ]);
  assert.deepEqual(replaced, { IP: 3, SECRET: 2, IBAN: 2, NATIONAL_ID: 1 });
});

test("text outside the findings is unchanged", async () => {
  const text = "  Dear team,\n\tthe contact is ops@example.org (not ops@example).\n\n";
  const { texts } = await redactTexts([text], opts);
  assert.equal(texts[0], "  Dear team,\n\tthe contact is [EMAIL] (not ops@example).\n\n");
});

test("an example without PII comes back as it was", async () => {
  const texts = [
    "Your order NW-10482 shipped on 2024-05-01.",
    "It cost $1,299.00. May I help you?",
  ];
  assert.deepEqual(await redactTexts(texts, opts), { texts, replaced: {} });
});

test("redacting twice changes nothing, and the output has no PII left", async () => {
  const once = await redactTexts(conversation, opts);
  const twice = await redactTexts(once.texts, opts);
  assert.deepEqual(twice, { texts: once.texts, replaced: {} });
  assert.deepEqual(await findPiiBatch(once.texts, opts), [[], [], [], []]);
});

test("placeholders already in the input are not reused for new values", async () => {
  const { texts } = await redactTexts(
    ["[EMAIL] wrote to bob@example.com", "and [EMAIL_2] to bob@example.com"],
    opts,
  );
  assert.deepEqual(texts, ["[EMAIL] wrote to [EMAIL_3]", "and [EMAIL_2] to [EMAIL_3]"]);
});

/** Random text with real PII mixed in, separated by whitespace or commas. */
const textWithPii = fc
  .array(
    fc.oneof(
      fc.string(),
      fc.string({ unit: "binary" }),
      fc.string({ unit: fc.constantFrom(..."0123456789 -.:@+()[]ABCXYZabc\n") }),
      fc.constantFrom(
        "Maria.Gonzalez@example.com",
        "maria.gonzalez@example.com",
        "4111 1111 1111 1111",
        "4111111111111111",
        "GB82 WEST 1234 5698 7654 32",
        "DE89370400440532013000",
        "(415) 555-2671",
        "John Smith",
      ),
    ),
    { maxLength: 8 },
  )
  .chain((parts) => fc.constantFrom(" ", "\n", ", ").map((sep) => parts.join(sep)));

test("property: redaction never throws and removes every email, card, IBAN and name", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(textWithPii, { maxLength: 4 }), async (texts) => {
      const { texts: out, replaced } = await redactTexts(texts, opts);
      assert.equal(out.length, texts.length);
      const found = (await findPiiBatch(texts, opts)).flat();
      const counted = Object.values(replaced).reduce((a, b) => a + b, 0);
      assert.equal(counted, found.length);
      for (const f of found) {
        if (!["EMAIL", "CARD", "IBAN", "PERSON"].includes(f.type)) continue;
        for (const text of out) assert.ok(!text.includes(f.text), `${f.type} ${f.text} left`);
      }
    }),
    { numRuns: 200 },
  );
});
