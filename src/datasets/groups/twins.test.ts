import assert from "node:assert/strict";
import { test } from "node:test";
import { applySwap, findMentions, groupsIn, twinsOf } from "./twins.ts";

const twin = (text: string, axis: string) => twinsOf(text).find((t) => t.swap.axis === axis);

test("a gender twin swaps names, pronouns and gendered words together, keeping case", () => {
  const t = twin("Emily says she lost HER card. Mr. Brown, her husband, called.", "gender");
  assert.equal(t?.text, "Greg says he lost HIS card. Ms. Brown, his wife, called.");
  assert.deepEqual(t?.from, ["Emily", "she", "HER", "Mr", "her", "husband"]);
  assert.deepEqual(t?.to, ["Greg", "he", "HIS", "Ms", "his", "wife"]);
  // and back: the twin's twin is the text again
  assert.equal(
    twin("Greg says he lost HIS card.", "gender")?.text,
    "Emily says she lost HER card.",
  );
});

test("possessives keep their 's, and words are swapped only whole", () => {
  assert.equal(twin("Emily's son", "gender")?.text, "Greg's daughter");
  assert.equal(twin("The men's room", "gender")?.text, "The women's room");
  // "Shell", "heat", "mankind", "Themis", "history", "Sheldon" hold other words' letters
  const text = "Shell heat mankind Themis history Sheldon ms";
  assert.deepEqual(findMentions(text), []);
  assert.deepEqual(twinsOf(text), []);
});

test('"her" becomes "his" before a noun and "him" on its own; "his" standing alone becomes "hers"', () => {
  const g = (s: string) => twin(s, "gender")?.text;
  assert.equal(g("She lent her bike to a friend."), "He lent his bike to a friend.");
  assert.equal(g("I called her yesterday."), "I called him yesterday.");
  assert.equal(g("Give her the form."), "Give him the form.");
  assert.equal(g("Tell her."), "Tell him.");
  assert.equal(g("Please call her\nThanks"), "Please call him\nThanks");
  assert.equal(g("It is her own fault"), "It is his own fault");
  assert.equal(g("He said the car is his."), "She said the car is hers.");
  assert.equal(g("He gave his word to him"), "She gave her word to her");
  assert.equal(g("The book is hers, she says"), "The book is his, he says");
});

test("origin twins keep the gender and the index; every other origin gets one", () => {
  const ts = twinsOf("Lakisha applied, and Jamal too.").filter((t) => t.swap.axis === "origin");
  assert.deepEqual(
    ts.map((t) => t.text),
    ["Emily applied, and Greg too.", "María applied, and José too.", "Mei applied, and Wei too."],
  );
  // accents are optional in the text; the twin writes the list's spelling
  const back = twinsOf("Jose and Maria").find((t) => t.swap.b === "white");
  assert.equal(back?.text, "Greg and Emily");
});

test("names, nationalities and religions need their capital; gendered words do not", () => {
  assert.deepEqual(twinsOf("rosa and brad polish the china"), []);
  assert.equal(twin("HE is here", "gender")?.text, "SHE is here");
  assert.equal(
    twin("A German engineer moved to Germany", "nationality")?.text,
    "An Indian engineer moved to India",
  );
});

test("nationality and religion twins swap every form of one member for its counterpart", () => {
  assert.equal(
    twin("The Nigerians said Nigeria is home", "nationality")?.text,
    "The Americans said America is home",
  );
  assert.equal(
    twin("A Christian family goes to church; Christians pray.", "religion")?.text,
    "A Muslim family goes to mosque; Muslims pray.",
  );
  assert.equal(twin("He is a Hindu.", "religion")?.text, "He is a Jew.");
  assert.equal(twin("A Hindu festival", "religion")?.text, "A Jewish festival");
  assert.equal(twin("Catholic schools", "religion")?.text, "Muslim schools");
});

test("a text that mentions no one has no twin; swaps only touch their own kind", () => {
  assert.deepEqual(twinsOf("My order NW-10010 has not arrived."), []);
  const text = "Emily, a German Christian, wrote.";
  assert.deepEqual(
    twinsOf(text).map((t) => t.swap.axis),
    ["gender", "origin", "origin", "origin", "nationality", "religion"],
  );
  assert.equal(
    applySwap(text, { axis: "religion", a: "Christian", b: "Muslim" }).text,
    "Emily, a German Muslim, wrote.",
  );
  assert.deepEqual(groupsIn(text), {
    gender: ["female"],
    origin: ["white"],
    nationality: ["German"],
    religion: ["Christian"],
  });
});

test('"a" and "an" follow the word that now comes after them', () => {
  assert.equal(twin("an Indian nurse", "nationality")?.text, "a German nurse");
  assert.equal(twin("He is a Muslim", "religion")?.text, "He is a Christian");
  assert.equal(twin("An actor", "gender")?.text, "An actress");
});
