import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { ListNameFinder } from "./__fixtures__/list-names.ts";
import { findPii, findPiiBatch, type PiiFinding, type PiiType } from "./pii.ts";

/** Asserts that `text` contains exactly the expected findings, with slice-consistent offsets. */
function expectFindings(text: string, expected: [PiiType, string, string?][]): void {
  const found = findPii(text);
  for (const f of found) assert.equal(text.slice(f.start, f.end), f.text);
  assert.deepEqual(
    found.map((f) => [f.type, f.text, ...(f.detail === undefined ? [] : [f.detail])]),
    expected.map(([type, value, detail]) => [
      type,
      value,
      ...(detail === undefined ? [] : [detail]),
    ]),
  );
  for (const [, value] of expected) {
    const f = found.find((x) => x.text === value) as PiiFinding;
    assert.equal(f.start, text.indexOf(value));
    assert.equal(f.end, text.indexOf(value) + value.length);
  }
}

test("emails are found and validated", () => {
  expectFindings("Write to maria.gonzalez@example.com (not to bob@localhost or a@b).", [
    ["EMAIL", "maria.gonzalez@example.com"],
  ]);
});

test("phone numbers: US national format and international + numbers", () => {
  expectFindings("Call me at (415) 555-2671 or on +44 20 7946 0958 after 6pm.", [
    ["PHONE", "(415) 555-2671", "US"],
    ["PHONE", "+44 20 7946 0958", "GB"],
  ]);
});

test("card numbers pass Luhn and get their brand; a card is not also a phone", () => {
  expectFindings("Charge 4111 1111 1111 1111, or Amex 3782-822463-10005, or 5555555555554444.", [
    ["CARD", "4111 1111 1111 1111", "Visa"],
    ["CARD", "3782-822463-10005", "American Express"],
    ["CARD", "5555555555554444", "Mastercard"],
  ]);
});

test("IBANs with and without spaces, without swallowing the next word", () => {
  expectFindings("Pay GB82 WEST 1234 5698 7654 32 THEN DE89370400440532013000.", [
    ["IBAN", "GB82 WEST 1234 5698 7654 32", "GB"],
    ["IBAN", "DE89370400440532013000", "DE"],
  ]);
});

test("national ids: US SSN, UK NINO, Dutch BSN, Spanish DNI/NIE", () => {
  expectFindings("My SSN is 123-45-6789 and my NI number is AB 12 34 56 C.", [
    ["NATIONAL_ID", "123-45-6789", "US SSN"],
    ["NATIONAL_ID", "AB 12 34 56 C", "UK National Insurance number"],
  ]);
  expectFindings("Mijn BSN: 111222333. DNI 12345678Z, NIE X1234567L.", [
    ["NATIONAL_ID", "111222333", "Dutch BSN"],
    ["NATIONAL_ID", "12345678Z", "Spanish DNI"],
    ["NATIONAL_ID", "X1234567L", "Spanish NIE"],
  ]);
  // Invalid areas, groups and serials; unallocated or invalid NINO prefixes; a BSN that fails
  // the 11-test; 9 digits without a BSN keyword; a DNI with the wrong letter.
  expectFindings(
    "000-12-3456 666-12-3456 912-12-3456 123-00-4567 123-45-0000 GB123456A QQ123456C " +
      "BSN 123456789, 111222333, 12345678A",
    [],
  );
});

test("IP addresses: IPv4 dotted quads and IPv6, but not version numbers", () => {
  expectFindings("The server 192.168.1.100 and 2001:db8::8a2e:370:7334 run version 1.2.3.", [
    ["IP", "192.168.1.100", "IPv4"],
    ["IP", "2001:db8::8a2e:370:7334", "IPv6"],
  ]);
  expectFindings("Versions 1.2.3, 1.2.3.4.5 and 999.1.1.1; at 12:30:45 use std::vector.", []);
});

test("secrets: provider key shapes, PEM private keys, JWTs and credential assignments", () => {
  const keys = [
    ["AKIAIOSFODNN7EXAMPLE", "AWS access key"],
    ["ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "GitHub token"],
    ["github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "GitHub token"],
    ["sk-proj-abcdefghijklmnop1234567890", "OpenAI-style API key"],
    ["xoxb-1234567890-abcdefghij", "Slack token"],
    ["sk_live_4eC39HqLyjWDarjtT1zdp7dc", "Stripe key"],
    ["AIzaSyD-abcdefghijklmnopqrstuvwxyz01234", "Google API key"],
    ["eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFU", "JWT"],
  ] as const;
  for (const [key, detail] of keys) {
    expectFindings(`Here is my key ${key}, keep it safe.`, [["SECRET", key, detail]]);
  }
  const pem =
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\nq83w==\n-----END RSA PRIVATE KEY-----";
  expectFindings(`key:\n${pem}\nthanks`, [["SECRET", pem, "private key"]]);
  expectFindings(
    'Set password=hunter2. Then "api_key": "abc123xyz" and Bearer abcdef0123456789abcdef',
    [
      ["SECRET", "hunter2", "credential assignment"],
      ["SECRET", "abc123xyz", "credential assignment"],
      ["SECRET", "abcdef0123456789abcdef", "bearer token"],
    ],
  );
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell variable, not a template
  expectFindings("Your password: click the link. max_tokens=1024, password=${DB_PASSWORD}", []);
  expectFindings('const token = getToken(); api_key = os.environ["API_KEY"]; key = cfg.key', []);
});

test("names come from the NameFinder, in one batch, beside the structured kinds", async () => {
  const names = new ListNameFinder(["Maria Gonzalez", "John Smith", ["Lagos", "LOCATION"]]);
  const texts = [
    "Please ask Maria Gonzalez whether John Smith signed the contract.",
    "Write to maria.gonzalez@example.com or call (415) 555-2671.",
    "Maria Gonzalez moved to Lagos.",
  ];
  const found = await findPiiBatch(texts, { names });
  assert.deepEqual(
    found.map((f) => f.map((x) => [x.type, x.text])),
    [
      [
        ["PERSON", "Maria Gonzalez"],
        ["PERSON", "John Smith"],
      ],
      [
        ["EMAIL", "maria.gonzalez@example.com"],
        ["PHONE", "(415) 555-2671"],
      ],
      [["PERSON", "Maria Gonzalez"]],
    ],
  );
  assert.equal(names.calls.length, 1, "one call for all the texts");
  // places only when asked for
  const places = await findPiiBatch([texts[2] ?? ""], {
    names,
    kinds: ["PERSON", "LOCATION"],
  });
  assert.deepEqual(
    places[0]?.map((x) => [x.type, x.text, x.start]),
    [
      ["PERSON", "Maria Gonzalez", 0],
      ["LOCATION", "Lagos", 24],
    ],
  );
  // the structured kinds without a NameFinder; null says so
  assert.deepEqual(await findPiiBatch(texts, { names: null }), texts.map(findPii));
});

test("a name never overlaps a structured finding or a placeholder: the finder sees them hidden", async () => {
  const names = new ListNameFinder(["maria.gonzalez", "PERSON", "Ana"]);
  const text = "[PERSON] wrote from maria.gonzalez@example.com; Ana replied.";
  const [found] = await findPiiBatch([text], { names });
  assert.deepEqual(
    found?.map((f) => [f.type, f.text]),
    [
      ["EMAIL", "maria.gonzalez@example.com"],
      ["PERSON", "Ana"],
    ],
  );
  assert.equal(names.calls[0]?.[0], `${" ".repeat(8)} wrote from ${" ".repeat(26)}; Ana replied.`);
});

test("innocent sentences have no findings", () => {
  const innocent = [
    "Your order NW-10482 shipped on 2024-05-01.",
    "The laptop costs $1,299.00 (was $1,499.00) until 05/31/2024.",
    "Upgrade to version 1.2.3 or 2.0.0-beta.1 before June.",
    "The reference 4111111111111112 fails the Luhn check.",
    "IBAN GB82 WEST 1234 5698 7654 33 has a wrong checksum.",
    "May I help you?",
    "In 2024 we sold 15000 units; call center hours are 9-5, room 101, ticket #48213.",
    "Call 555-1234 between 10:30 and 12:00 on 2024.05.01.",
    "Set max_tokens to 512 and the learning rate to 0.0002.",
    "ISBN 978-3-16-148410-0 and tracking 1Z999AA10123456784.",
  ];
  for (const text of innocent) assert.deepEqual(findPii(text), [], text);
});

test("redaction placeholders are not PII", () => {
  const text = "[PERSON] at [EMAIL_2] called [PHONE] about [CARD] and password=[SECRET_3]";
  assert.deepEqual(findPii(text), []);
});

const SAMPLES = [
  "maria.gonzalez@example.com",
  "(415) 555-2671",
  "+44 20 7946 0958",
  "4111 1111 1111 1111",
  "GB82 WEST 1234 5698 7654 32",
  "123-45-6789",
  "192.168.1.100",
  "AKIAIOSFODNN7EXAMPLE",
  "John Smith",
  "NW-10482",
  "1.2.3",
];

/** Random text, with real PII mixed in so the property is not only tested on noise. */
const textWithPii = fc
  .array(
    fc.oneof(
      fc.string(),
      fc.string({ unit: "binary" }),
      fc.string({ unit: fc.constantFrom(..."0123456789 -.:@+()[]ABCXYZabc\n") }),
      fc.constantFrom(...SAMPLES),
    ),
    { maxLength: 8 },
  )
  .chain((parts) => fc.constantFrom(" ", "", "\n", ", ").map((sep) => parts.join(sep)));

test("property: findings are sorted, non-overlapping, in bounds and slice-consistent", () => {
  fc.assert(
    fc.property(textWithPii, (text) => {
      const found = findPii(text);
      let previousEnd = 0;
      for (const f of found) {
        assert.ok(f.start >= previousEnd && f.start < f.end && f.end <= text.length);
        assert.equal(text.slice(f.start, f.end), f.text);
        previousEnd = f.end;
      }
    }),
    { numRuns: 300 },
  );
});
