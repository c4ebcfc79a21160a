/**
 * Writes train.jsonl and val.jsonl of the bike-shop function-calling example, deterministically
 * (a seeded RNG picks slot values for each phrasing). The held-out set uses phrasings, bikes and
 * products that training never shows.
 * Usage: npx tsx examples/bike-shop-tools/make.ts
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));

/** mulberry32: a small seeded RNG, so the files are the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const TOOLS = [
  {
    type: "function",
    function: {
      name: "get_order_status",
      parameters: {
        type: "object",
        properties: { order_id: { type: "string", pattern: "^NW-[0-9]{5}$" } },
        required: ["order_id"],
        additionalProperties: false,
      },
    },
  },
  {
    type: "function",
    function: {
      name: "book_repair",
      parameters: {
        type: "object",
        properties: {
          bike: { type: "string" },
          problem: { type: "string" },
          date: { type: "string", pattern: "^2025-[0-9]{2}-[0-9]{2}$" },
        },
        required: ["bike", "problem", "date"],
        additionalProperties: false,
      },
    },
  },
  {
    type: "function",
    function: {
      name: "find_product",
      parameters: {
        type: "object",
        properties: { query: { type: "string" }, max_price: { type: "number" } },
        required: ["query", "max_price"],
        additionalProperties: false,
      },
    },
  },
];

type Args = Record<string, string | number>;
type Message =
  | { role: "user" | "assistant"; content: string }
  | {
      role: "assistant";
      tool_calls: { id: string; type: "function"; function: { name: string; arguments: string } }[];
    }
  | { role: "tool"; tool_call_id: string; content: string };

const user = (content: string): Message => ({ role: "user", content });
const say = (content: string): Message => ({ role: "assistant", content });
const call = (id: string, name: string, args: Args): Message => ({
  role: "assistant",
  tool_calls: [{ id, type: "function", function: { name, arguments: JSON.stringify(args) } }],
});
const result = (id: string, value: unknown): Message => ({
  role: "tool",
  tool_call_id: id,
  content: JSON.stringify(value),
});

/** What each split draws its phrasings and values from. */
interface Pool {
  order: string[];
  repair: string[];
  product: string[];
  bikes: string[];
  problems: string[];
  products: string[];
  words: Record<keyof typeof ANSWERS, string[]>;
  /** Questions that lack what the function needs, and the follow-up that gives it. */
  orderNoId: string[];
  repairNoDate: string[];
  productNoPrice: string[];
}

const ANSWERS = {
  greeting: "Hello! How can I help you today?",
  hours: "We are open Monday to Saturday, 9:00 to 18:00, and closed on Sundays.",
  returns: "You can return unused items within 30 days with the receipt for a full refund.",
  thanks: "You're welcome! Ride safe.",
  address: "We are at 12 Harbour Street, next to the train station.",
};
const ASK_ID = "I can check that. What is your order number? It looks like NW-12345.";
const ASK_DATE = "Sure! Which day would you like to bring it in?";
const ASK_PRICE = "We do! What is the most you would like to spend?";

const TRAIN: Pool = {
  order: [
    "Where is my order {id}?",
    "Can you check order {id} for me?",
    "Any news on {id}?",
    "hi, what's the status of order {id}",
    "I ordered a helmet last week, order number {id}. Has it shipped?",
    "My order {id} still hasn't arrived.",
    "track {id} please",
    "When will {id} be delivered?",
  ],
  repair: [
    "Can you fix the {problem} on my {bike} on {date}?",
    "I'd like to book a repair for my {bike} on {date}: {problem}.",
    "Book my {bike} in for {date} please, problem: {problem}.",
    "I need a repair on {date}. My {bike}, {problem}.",
    "my {bike} needs fixing ({problem}), can I come {date}?",
  ],
  product: [
    "Do you have a {query} under {price} euros?",
    "I'm looking for a {query}, max €{price}.",
    "Show me {query} options below {price} euros.",
    "any {query} for less than {price}€?",
    "I need a {query}. My budget is {price} euros.",
  ],
  bikes: [
    "Trek FX 3",
    "Giant Escape",
    "Brompton",
    "Cube Attain",
    "Specialized Rockhopper",
    "Cannondale Quick",
    "Gazelle city bike",
    "Bianchi road bike",
    "Canyon Grizl",
    "kids bike",
  ],
  problems: [
    "flat tyre",
    "squeaky brakes",
    "slipping chain",
    "broken spoke",
    "bent rear wheel",
    "stiff gear shifter",
    "loose handlebars",
    "worn brake pads",
    "snapped brake cable",
  ],
  products: [
    "helmet",
    "front light",
    "bike lock",
    "rear rack",
    "water bottle",
    "saddle bag",
    "floor pump",
    "road tyre",
    "bell",
    "mirror",
  ],
  words: {
    greeting: ["hi", "Hello!", "good morning", "hey there", "hi, anyone there?", "Hi Northwind"],
    hours: [
      "When are you open?",
      "What are your opening hours?",
      "Are you open on Saturday?",
      "are you open sundays?",
      "what time do you close?",
    ],
    returns: [
      "What is your return policy?",
      "Can I return a helmet I don't like?",
      "how do refunds work?",
      "Can I send back a lock I never used?",
    ],
    thanks: ["thanks!", "Thank you so much", "cheers, that helps", "ok thanks, bye"],
    address: ["Where is the shop?", "Where are you located?", "how do I find your store?"],
  },
  orderNoId: ["Where is my order?", "my parcel hasn't come yet", "Has my order shipped?"],
  repairNoDate: ["Can you fix my {bike}? It has a {problem}.", "I need a repair: {problem}."],
  productNoPrice: ["Do you sell {query}s?", "do you have a {query}?"],
};

const VAL: Pool = {
  order: [
    "Could you tell me where order {id} is right now?",
    "Has {id} been sent yet?",
    "order {id} - any update?",
    "Hello, I'm waiting for parcel {id}, where is it?",
  ],
  repair: [
    "Is {date} free to repair my {bike}? It's the {problem}.",
    "Please schedule my {bike} for {date}. Issue: {problem}.",
    "hey can u look at my {bike} on {date}, {problem}",
  ],
  product: [
    "What {query} can I get for {price} euros or less?",
    "Looking for a cheap {query}, nothing above €{price}.",
    "is there a {query} up to {price} eur?",
  ],
  bikes: ["Focus Atlas", "Orbea Vector", "Merida Big Nine", "Raleigh Pioneer"],
  problems: ["wobbly pedal", "rusty chain", "cracked mudguard", "dead battery"],
  products: ["rain jacket", "phone mount", "chain lube", "kickstand"],
  words: {
    greeting: ["good evening", "hiya"],
    hours: ["till what time are you open today?", "do you open on weekends?"],
    returns: ["I bought a bell I don't need, can I bring it back?"],
    thanks: ["great, thanks a lot"],
    address: ["what's your address?"],
  },
  orderNoId: ["I'm still waiting for my delivery, where is it?"],
  repairNoDate: ["My {bike} has a {problem}, can you repair it?"],
  productNoPrice: ["are there any {query}s in stock?"],
};

const MONTHS = ["June", "July"];
const STATUSES = [
  { status: "shipped", say: (id: string, d: string) => `Your order ${id} has shipped and should arrive on ${d}.` },
  { status: "processing", say: (id: string, d: string) => `Your order ${id} is being packed and should ship by ${d}.` },
  { status: "delivered", say: (id: string, d: string) => `Your order ${id} was delivered on ${d}.` },
];

function generator(seed: number, pool: Pool) {
  const r = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const fill = (t: string, slots: Record<string, string | number>) =>
    t.replace(/\{(\w+)\}/g, (_, k: string) => String(slots[k]));
  const orderId = () => `NW-${10000 + Math.floor(r() * 90000)}`;
  /** A day in June or July 2025, as the user writes it and as the function wants it. */
  const day = () => {
    const m = Math.floor(r() * 2);
    const d = 1 + Math.floor(r() * 28);
    const iso = `2025-0${m + 6}-${String(d).padStart(2, "0")}`;
    const nth = d % 10 === 1 && d !== 11 ? "st" : d % 10 === 2 && d !== 12 ? "nd" : d % 10 === 3 && d !== 13 ? "rd" : "th";
    const said = pick([`${MONTHS[m]} ${d}`, `${d} ${MONTHS[m]}`, iso, `${MONTHS[m]} ${d}${nth}`]);
    return { iso, said };
  };
  const price = () => 5 * (2 + Math.floor(r() * 40));
  let n = 0;
  const id = () => `call_${++n}`;

  return {
    order(full: boolean): Message[] {
      const o = orderId();
      const c = id();
      const msgs = [user(fill(pick(pool.order), { id: o })), call(c, "get_order_status", { order_id: o })];
      if (!full) return msgs;
      const s = pick(STATUSES);
      const d = day().iso;
      return [...msgs, result(c, { order_id: o, status: s.status, date: d }), say(s.say(o, d))];
    },
    repair(full: boolean): Message[] {
      const a = { bike: pick(pool.bikes), problem: pick(pool.problems), date: day() };
      const c = id();
      const msgs = [
        user(fill(pick(pool.repair), { ...a, date: a.date.said })),
        call(c, "book_repair", { bike: a.bike, problem: a.problem, date: a.date.iso }),
      ];
      if (!full) return msgs;
      const ref = `R-${1000 + Math.floor(r() * 9000)}`;
      return [
        ...msgs,
        result(c, { booking: ref, date: a.date.iso }),
        say(`Done! Your ${a.bike} is booked in for ${a.date.iso}, booking ${ref}.`),
      ];
    },
    product(full: boolean): Message[] {
      const query = pick(pool.products);
      const max = price();
      const c = id();
      const msgs = [
        user(fill(pick(pool.product), { query, price: max })),
        call(c, "find_product", { query, max_price: max }),
      ];
      if (!full) return msgs;
      if (r() < 0.3) {
        return [...msgs, result(c, { results: [] }), say(`Sorry, we have no ${query} under €${max} right now.`)];
      }
      const name = `${pick(["Northwind", "Velo", "Urban", "Trail"])} ${query}`;
      const cost = max - 5 * Math.floor(r() * 3) - 1;
      return [
        ...msgs,
        result(c, { results: [{ name, price: cost }] }),
        say(`We have the ${name} for €${cost}.`),
      ];
    },
    words(): Message[] {
      const intent = pick(Object.keys(ANSWERS) as (keyof typeof ANSWERS)[]);
      return [user(pick(pool.words[intent])), say(ANSWERS[intent])];
    },
    /** A question without what the function needs: ask for it in words (and, in full, get it). */
    missing(full: boolean): Message[] {
      const kind = pick(["order", "repair", "product"] as const);
      if (kind === "order") {
        const first = [user(pick(pool.orderNoId)), say(ASK_ID)];
        if (!full) return first;
        const o = orderId();
        return [...first, user(pick([o, `It's ${o}`, `sure, ${o}`])), call(id(), "get_order_status", { order_id: o })];
      }
      if (kind === "repair") {
        const bike = pick(pool.bikes);
        const problem = pick(pool.problems);
        const first = [user(fill(pick(pool.repairNoDate), { bike, problem })), say(ASK_DATE)];
        if (!full || !pool.repairNoDate.some((t) => t.includes("{bike}"))) return first;
        // the follow-up only works when the bike was named
        const text = first[0] && "content" in first[0] ? first[0].content : "";
        if (!text.includes(bike)) return first;
        const d = day();
        return [...first, user(pick([d.said, `${d.said} please`, `how about ${d.said}?`])), call(id(), "book_repair", { bike, problem, date: d.iso })];
      }
      const query = pick(pool.products);
      const first = [user(fill(pick(pool.productNoPrice), { query })), say(ASK_PRICE)];
      if (!full) return first;
      const max = price();
      return [...first, user(pick([`${max} euros`, `up to €${max}`, `no more than ${max}`])), call(id(), "find_product", { query, max_price: max })];
    },
    /** A greeting first, then a request: the decision comes in the second turn. */
    greetThen(): Message[] {
      const rest = pick([() => this.order(false), () => this.repair(false), () => this.product(false)])();
      return [user(pick(pool.words.greeting)), say(ANSWERS.greeting), ...rest];
    },
  };
}

const line = (messages: Message[]) => JSON.stringify({ messages, tools: TOOLS });

function build(seed: number, pool: Pool, counts: Record<string, number>, fullShare: number): string[] {
  const g = generator(seed, pool);
  const r = rng(seed + 1);
  const out: string[] = [];
  const each: Record<string, () => Message[]> = {
    order: () => g.order(r() < fullShare),
    repair: () => g.repair(r() < fullShare),
    product: () => g.product(r() < fullShare),
    words: () => g.words(),
    missing: () => g.missing(r() < 0.5),
    greetThen: () => g.greetThen(),
  };
  // each line once: a kind draws again when it repeats a line (a few tries, then it is left out)
  const seen = new Set<string>();
  for (const [k, n] of Object.entries(counts)) {
    for (let i = 0; i < n; i++) {
      for (let tries = 0; tries < 20; tries++) {
        const l = line(each[k]?.() ?? []);
        const key = l.replace(/call_\d+/g, "call");
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(l);
        break;
      }
    }
  }
  // shuffle (Fisher-Yates) so that kinds are mixed
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j] as string, out[i] as string];
  }
  return out;
}

/** Held-out lines that end after a function's result: the expected answer is words. */
function afterResults(seed: number): string[] {
  const g = generator(seed, VAL);
  return [g.order(true), g.order(true), g.repair(true), g.product(true), g.product(true)].map(line);
}

const train = build(7, TRAIN, { order: 30, repair: 26, product: 26, words: 22, missing: 14, greetThen: 8 }, 0.35);
const val = [
  ...build(11, VAL, { order: 8, repair: 7, product: 7, words: 7, missing: 3, greetThen: 2 }, 0),
  ...afterResults(13),
];
writeFileSync(join(HERE, "train.jsonl"), `${train.join("\n")}\n`);
writeFileSync(join(HERE, "val.jsonl"), `${val.join("\n")}\n`);
console.log(`wrote ${train.length} training lines and ${val.length} held-out lines to ${HERE}`);
