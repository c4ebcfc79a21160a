/**
 * Counterfactual twins of a text: the same text with every mention of one group swapped for its
 * counterpart from the lists (lists.ts), keeping case and what follows the word ("Emily's" ->
 * "Greg's", "HER" -> "HIS"). Only whole words are swapped ("Shell" keeps its "he"). A text that
 * mentions no one from the lists has no twin.
 *
 * The twins a text gets: one with the gender of every person swapped (names, pronouns and gendered
 * words together, so the text stays coherent); one per other origin for its first names (same
 * gender); one with its first nationality swapped for its counterpart, and one with its first
 * religion swapped for its counterpart.
 */
import {
  type Axis,
  FIRST_NAMES,
  GENDER_ALIASES,
  GENDER_PAIRS,
  NATIONALITIES,
  ORIGINS,
  type Origin,
  RELIGION_ALIASES,
  RELIGIONS,
  type Role,
} from "./lists.ts";

type List = "gender" | "name" | "nationality" | "religion";

interface Slot {
  list: List;
  /** gender: "male" | "female"; name: "<origin>|<gender>"; nationality, religion: the adjective. */
  member: string;
  slot: number;
  role?: Role | undefined;
}
interface Entry extends Slot {
  /** Spelled with a capital in the lists: only recognised with one in the text. */
  capital: boolean;
}

/** A word of a text found in the lists. */
export interface Mention extends Slot {
  start: number;
  end: number;
  word: string;
}

/** Two members exchanged (gender: "male" and "female"; origin: two origins; else two adjectives). */
export interface Swap {
  axis: Axis;
  a: string;
  b: string;
}

export interface Twin {
  swap: Swap;
  text: string;
  /** The words swapped, in order of first appearance, and what they became. */
  from: string[];
  to: string[];
}

/** Lower case without accents: how words are looked up ("José" is "jose"). */
const fold = (w: string) => w.normalize("NFD").replace(/\p{M}/gu, "").toLocaleLowerCase("en");
const slotKey = (s: Slot) => `${s.list}|${s.member}|${s.slot}`;

const WORDS = new Map<string, string>(); // slot -> the word written into a twin
const LEXICON = new Map<string, Entry[]>(); // folded word -> the slots it fills

function add(word: string, slot: Slot, written = true): void {
  if (written) WORDS.set(slotKey(slot), word);
  const f = fold(word);
  const entries = LEXICON.get(f) ?? [];
  if (!entries.some((e) => slotKey(e) === slotKey(slot)))
    entries.push({ ...slot, capital: /^\p{Lu}/u.test(word) });
  LEXICON.set(f, entries);
}
/** Another spelling of `word`: it fills the slots `word` fills in the same list. */
function alias(list: List, spelling: string, word: string): void {
  for (const { capital: _, ...slot } of LEXICON.get(fold(word)) ?? [])
    if (slot.list === list) add(spelling, slot, false);
}

GENDER_PAIRS.forEach(([male, female, role], slot) => {
  add(male, { list: "gender", member: "male", slot, role });
  add(female, { list: "gender", member: "female", slot, role });
});
for (const [spelling, word] of Object.entries(GENDER_ALIASES)) alias("gender", spelling, word);
for (const origin of ORIGINS)
  for (const gender of ["female", "male"] as const)
    FIRST_NAMES[origin][gender].forEach((name, slot) => {
      add(name, { list: "name", member: `${origin}|${gender}`, slot });
    });
for (const [adjective, plural, country] of NATIONALITIES) {
  add(adjective, { list: "nationality", member: adjective, slot: 0 });
  if (plural) add(plural, { list: "nationality", member: adjective, slot: 1 });
  add(country, { list: "nationality", member: adjective, slot: 2 });
}
for (const words of RELIGIONS)
  words.forEach((w, slot) => {
    const role = slot === 0 ? "modifier" : slot === 1 ? "stands" : undefined;
    add(w, { list: "religion", member: words[0], slot, role });
  });
for (const [spelling, word] of Object.entries(RELIGION_ALIASES)) alias("religion", spelling, word);

/** Words after which "her" (or "Hindu") stands alone rather than before its noun. */
const FUNCTION_WORDS = new Set(
  `a an the to and or but nor that this these those with for about in on at by from of off out up
down over under into onto if because when whenever while as so than then now too very again back
away here there today tomorrow yesterday tonight soon later please how what why where who whom
which whether it me you him her them us i we they he she is was are were be been am will would can
could should may might must do does did has have had not no all some any every each everything
something anything nothing once twice well before after since until till during through around
across against without within just only also yet either neither both enough`.split(/\s+/),
);

const WORD = /[\p{L}\p{M}\p{N}]+/gu;

/** Before a noun (the next word is not a function word) or standing alone. */
function roleAt(text: string, end: number): Role {
  const rest = /^[ \t]*([\p{L}\p{N}]+)?/u.exec(text.slice(end, end + 40)); // on the same line
  const next = rest?.[1];
  if (!next) return "stands";
  return FUNCTION_WORDS.has(next.toLocaleLowerCase("en")) ? "stands" : "modifier";
}

/** Every word of the lists in `text`, in order. */
export function findMentions(text: string): Mention[] {
  const out: Mention[] = [];
  for (const m of text.matchAll(WORD)) {
    const word = m[0];
    const entries = (LEXICON.get(fold(word)) ?? []).filter(
      (e) => !e.capital || /^\p{Lu}/u.test(word),
    );
    if (entries.length === 0) continue;
    const role = entries.length > 1 ? roleAt(text, m.index + word.length) : undefined;
    const e = entries.find((x) => x.role === role) ?? entries[0];
    if (!e) continue;
    out.push({
      list: e.list,
      member: e.member,
      slot: e.slot,
      role: e.role,
      start: m.index,
      end: m.index + word.length,
      word,
    });
  }
  return out;
}

const other = (g: string) => (g === "male" ? "female" : "male");
const nationalityPair = (adjective: string): string => {
  const i = NATIONALITIES.findIndex((n) => n[0] === adjective);
  const half = NATIONALITIES.length / 2;
  return NATIONALITIES[i < half ? i + half : i - half]?.[0] ?? adjective;
};
const religionPair = (adjective: string): string => {
  const i = RELIGIONS.findIndex((r) => r[0] === adjective);
  return RELIGIONS[i ^ 1]?.[0] ?? adjective;
};

/** The member a mention becomes under `swap`, or null when the swap leaves it alone. */
function swapped(m: Slot, swap: Swap): string | null {
  const flip = (x: string) => (x === swap.a ? swap.b : x === swap.b ? swap.a : null);
  if (swap.axis === "gender") {
    if (m.list === "gender") return other(m.member);
    if (m.list !== "name") return null;
    const [origin, gender] = m.member.split("|");
    return `${origin}|${other(gender ?? "")}`;
  }
  if (swap.axis === "origin") {
    if (m.list !== "name") return null;
    const [origin, gender] = m.member.split("|");
    const to = flip(origin ?? "");
    return to ? `${to}|${gender}` : null;
  }
  return m.list === swap.axis ? flip(m.member) : null;
}

/** `word` written like `like`: ALL CAPS, Capitalised, or as the list spells it. */
function sameCase(word: string, like: string): string {
  if (like.length > 1 && like === like.toLocaleUpperCase("en") && /\p{Lu}/u.test(like))
    return word.toLocaleUpperCase("en");
  if (/^\p{Lu}/u.test(like)) return word.charAt(0).toLocaleUpperCase("en") + word.slice(1);
  return word;
}

/** `before` with a final "a"/"an" fitted to the word that now follows it ("a German" -> "an Indian"). */
function article(before: string, next: string): string {
  return before.replace(/\b(a|an)(\s+)$/i, (_, a: string, space: string) => {
    const an = /^[aeiou]/i.test(next) ? "an" : "a";
    return (a.startsWith("A") ? sameCase(an, "A") : an) + space;
  });
}

/** The twins a text's mentions call for (see the file's comment); none without mentions. */
export function swapsFor(mentions: Mention[]): Swap[] {
  const out: Swap[] = [];
  if (mentions.some((m) => m.list === "gender" || m.list === "name"))
    out.push({ axis: "gender", a: "male", b: "female" });
  const name = mentions.find((m) => m.list === "name");
  if (name) {
    const origin = name.member.split("|")[0] as Origin;
    for (const o of ORIGINS) if (o !== origin) out.push({ axis: "origin", a: origin, b: o });
  }
  const nationality = mentions.find((m) => m.list === "nationality");
  if (nationality) {
    const a = nationality.member;
    out.push({ axis: "nationality", a, b: nationalityPair(a) });
  }
  const religion = mentions.find((m) => m.list === "religion");
  if (religion) {
    const a = religion.member;
    out.push({ axis: "religion", a, b: religionPair(a) });
  }
  return out;
}

/** `text` with `swap` applied to every mention it touches. */
export function applySwap(text: string, swap: Swap, mentions = findMentions(text)): Twin {
  let out = "";
  let at = 0;
  const from: string[] = [];
  const to: string[] = [];
  for (const m of mentions) {
    const member = swapped(m, swap);
    const word = member === null ? undefined : WORDS.get(slotKey({ ...m, member }));
    if (word === undefined) continue;
    const written = sameCase(word, m.word);
    out += article(text.slice(at, m.start), written) + written;
    at = m.end;
    if (!from.includes(m.word)) {
      from.push(m.word);
      to.push(written);
    }
  }
  return { swap, text: out + text.slice(at), from, to };
}

/** Every twin of `text` (none when it mentions no one from the lists). */
export function twinsOf(text: string): Twin[] {
  const mentions = findMentions(text);
  return swapsFor(mentions).map((s) => applySwap(text, s, mentions));
}

/** The groups a text mentions, by kind: "female"/"male", origins, nationalities, religions. */
export function groupsIn(text: string): Partial<Record<Axis, string[]>> {
  const out: Partial<Record<Axis, string[]>> = {};
  const put = (axis: Axis, group: string) => {
    const g = out[axis] ?? [];
    if (!g.includes(group)) g.push(group);
    out[axis] = g;
  };
  for (const m of findMentions(text)) {
    if (m.list === "gender") put("gender", m.member);
    else if (m.list === "name") {
      const [origin, gender] = m.member.split("|");
      put("gender", gender ?? "");
      put("origin", origin ?? "");
    } else put(m.list, m.member);
  }
  return out;
}
