import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { findPii } from "./pii.ts";
import { redactTexts } from "./redact.ts";

const conversation = [
  "You are a support agent for Northwind.",
  "Hi, I'm Maria Gonzalez. My email is Maria.Gonzalez@example.com and my card 4111 1111 1111 1111 was charged twice for order NW-10482.",
  "Sorry about that, Maria Gonzalez! I have refunded card 4111-1111-1111-1111. Is (415) 555-2671 still your number?",
  "Yes, or +1 415 555 2671. Please also cc john.smith@example.com and maria.gonzalez@example.com.",
];

test("placeholders are consistent across the strings of one example, and numbered", () => {
  const { texts, replaced } = redactTexts(conversation);
  assert.deepEqual(texts, [
    "You are a support agent for Northwind.",
    "Hi, I'm [PERSON]. My email is [EMAIL] and my card [CARD] was charged twice for order NW-10482.",
    "Sorry about that, [PERSON]! I have refunded card [CARD]. Is [PHONE] still your number?",
    "Yes, or [PHONE]. Please also cc [EMAIL_2] and [EMAIL].",
  ]);
  assert.deepEqual(replaced, { PERSON: 2, EMAIL: 3, CARD: 2, PHONE: 2 });
});

test("distinct values of each type get their own numbers", () => {
  const { texts, replaced } = redactTexts([
    "Servers 10.0.0.1, 10.0.0.2 and 10.0.0.1 again; keys AKIAIOSFODNN7EXAMPLE and AKIAI44QH8DHBEXAMPLE.",
    "IBANs GB82 WEST 1234 5698 7654 32 and GB82WEST12345698765432, SSN 123-45-6789.",
  ]);
  assert.deepEqual(texts, [
    "Servers [IP], [IP_2] and [IP] again; keys [SECRET] and [SECRET_2].",
    "IBANs [IBAN] and [IBAN], SSN [NATIONAL_ID].",
  ]);
  assert.deepEqual(replaced, { IP: 3, SECRET: 2, IBAN: 2, NATIONAL_ID: 1 });
});

test("text outside the findings is unchanged", () => {
  const text = "  Dear team,\n\tthe contact is ops@example.org (not ops@example).\n\n";
  const { texts } = redactTexts([text]);
  assert.equal(texts[0], "  Dear team,\n\tthe contact is [EMAIL] (not ops@example).\n\n");
});

test("an example without PII comes back as it was", () => {
  const texts = [
    "Your order NW-10482 shipped on 2024-05-01.",
    "It cost $1,299.00. May I help you?",
  ];
  assert.deepEqual(redactTexts(texts), { texts, replaced: {} });
});

test("redacting twice changes nothing, and the output has no PII left", () => {
  const once = redactTexts(conversation);
  const twice = redactTexts(once.texts);
  assert.deepEqual(twice, { texts: once.texts, replaced: {} });
  for (const text of once.texts) assert.deepEqual(findPii(text), []);
});

test("placeholders already in the input are not reused for new values", () => {
  const { texts } = redactTexts([
    "[EMAIL] wrote to bob@example.com",
    "and [EMAIL_2] to bob@example.com",
  ]);
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

test("property: redaction never throws and removes every email, card and IBAN", () => {
  fc.assert(
    fc.property(fc.array(textWithPii, { maxLength: 4 }), (texts) => {
      const { texts: out, replaced } = redactTexts(texts);
      assert.equal(out.length, texts.length);
      const found = texts.flatMap(findPii);
      const counted = Object.values(replaced).reduce((a, b) => a + b, 0);
      assert.equal(counted, found.length);
      for (const f of found) {
        if (f.type !== "EMAIL" && f.type !== "CARD" && f.type !== "IBAN") continue;
        for (const text of out) assert.ok(!text.includes(f.text), `${f.type} ${f.text} left`);
      }
    }),
    { numRuns: 200 },
  );
});
