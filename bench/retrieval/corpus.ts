/**
 * The retrieval benchmark's documents and questions, written for it: a bike shop's staff handbook
 * and product catalogue. Each question names a text only its answering passage contains. Some
 * questions share no words with their answer (meaning must carry them), some hinge on a model name
 * or a code among near-identical passages (words must carry them), most are in between.
 */
export interface Question {
  q: string;
  /** A text found in the answering passage only. */
  answer: string;
}

const BIRDS = [
  "Kestrel",
  "Heron",
  "Osprey",
  "Wren",
  "Falcon",
  "Puffin",
  "Swift",
  "Merlin",
  "Robin",
  "Condor",
  "Sparrow",
  "Harrier",
];
const TYPES = ["road", "city", "mountain", "gravel", "folding", "touring"];
const FRAMES = ["carbon", "aluminium", "steel", "titanium"];

/** 36 bikes that differ only in name, number and figures: a catalogue, as shops have. */
const MODELS = BIRDS.flatMap((bird, b) =>
  [3, 7, 9].map((n, i) => {
    const k = b * 3 + i;
    return {
      name: `${bird} ${n}`,
      type: TYPES[k % TYPES.length] as string,
      frame: FRAMES[(k * 7) % FRAMES.length] as string,
      kg: (8 + ((k * 37) % 90) / 10).toFixed(1),
      eur: 499 + ((k * 613) % 5000),
      years: 2 + (k % 5),
    };
  }),
);

const catalogue = `# Bike catalogue\n\n${MODELS.map(
  (m) =>
    `## ${m.name}\n\nThe ${m.name} is a ${m.type} bike with a ${m.frame} frame. It weighs ${m.kg} kg and costs ${m.eur} euros. Its frame warranty lasts ${m.years} years.`,
).join("\n\n")}\n`;

const PARTS = ["battery", "motor", "speed sensor", "torque sensor", "display", "charger"];
const FAULTS = [
  "is too hot; let it cool for twenty minutes",
  "lost its connection; check the cable plug",
  "reports a voltage outside its range; have it tested",
  "needs a firmware update at a workshop",
  "failed its self-test; switch the bike off and on again",
];

/** 30 display codes, one per part and fault: near-identical sentences told apart by their code. */
const ERRORS = PARTS.flatMap((part, p) =>
  FAULTS.map(
    (fault, f) => [`E-${p + 1}${f + 1}${(p * 5 + f) % 10}`, `the ${part} ${fault}`] as const,
  ),
);

const errors = `# E-bike display error codes\n\n${ERRORS.map(
  ([code, meaning]) => `## ${code}\n\nError ${code} on the display means that ${meaning}.`,
).join("\n\n")}\n`;

export const DOCUMENTS: Record<string, string> = {
  "catalogue.md": catalogue,
  "error-codes.md": errors,
  "leave.md": `# Time off

## Annual leave

Every full-time employee is entitled to 25 days of paid holiday per calendar year. Part-time staff get a share in proportion to their hours.

## Carrying days over

Up to five unused holiday days may be moved into the next year; they expire at the end of March.

## Sickness

If you are ill, phone your manager before 9 a.m. on the first day. From the fourth day of absence a doctor's note is required.

## Parental leave

New parents may take up to sixteen weeks away from work, paid at full salary for the first eight weeks.
`,
  "expenses.md": `# Expenses

## Receipts

Claims must be filed within 30 days, with a photo of every receipt uploaded to the finance portal.

## Travel

Rail journeys are reimbursed in second class. Air travel must be approved in advance by your team lead.

## Meals

When travelling for work, the company pays up to 35 euros per day for food.

## Mileage

Using your own car for business trips is compensated at 0.23 euros per kilometre.
`,
  "it.md": `# IT rules

## Passwords

Change your password every 90 days and never reuse an old one. A password manager is provided.

## Lost devices

If your laptop or phone is stolen, report it to the service desk within one hour so it can be wiped remotely.

## Laptops

Company laptops are replaced every four years, or earlier if repair costs more than half a new one.

## Wi-Fi

Guests use the network "Northwind-Guest"; the password changes every Monday and hangs at reception.
`,
  "workshop.md": `# Workshop

## Safety goggles

Eye protection must be worn when using the truing stand, the grinder or compressed air.

## Fire

An extinguisher hangs beside the back door; the assembly point is the car park across the road.

## Tool care

Torque wrenches are sent for calibration every twelve months. Sign the register when you borrow one.

## Opening hours

The workshop takes repairs from 8 a.m. to 5 p.m. on weekdays and until noon on Saturdays.
`,
  "customers.md": `# Customer service

## Returns

Customers may return an unused bike within 14 days of delivery for a full refund.

## Price match

If a customer finds the same bike cheaper at a local shop, we match that price once they show us the offer.

## Test rides

Test rides are free and last up to thirty minutes; the customer leaves an ID document at the till.

## Complaints

Every complaint gets a written answer within five working days.
`,
};

export const QUESTIONS: Question[] = [
  // meaning, few shared words
  { q: "How much time off do I get each year?", answer: "25 days of paid holiday" },
  { q: "Can I save vacation I did not use for later?", answer: "Up to five unused holiday days" },
  { q: "What do I do when I wake up sick?", answer: "phone your manager before 9 a.m." },
  { q: "How long can I stay home after having a baby?", answer: "sixteen weeks away from work" },
  { q: "Am I allowed to fly to a customer?", answer: "Air travel must be approved" },
  { q: "What is the food allowance on a business trip?", answer: "35 euros per day for food" },
  { q: "My phone got stolen, what now?", answer: "wiped remotely" },
  { q: "When will I get a new computer?", answer: "replaced every four years" },
  { q: "Where do we gather if the building burns?", answer: "assembly point is the car park" },
  { q: "Do I need to protect my eyes in the workshop?", answer: "Eye protection must be worn" },
  {
    q: "Can a buyer bring a bike back and get their money?",
    answer: "return an unused bike within 14 days",
  },
  { q: "What if a rival store sells it for less?", answer: "we match that price" },
  { q: "Can people try a bike before buying it?", answer: "Test rides are free" },
  {
    q: "How fast must we reply to an unhappy client?",
    answer: "written answer within five working days",
  },
  { q: "How much do I get for driving my own car?", answer: "0.23 euros per kilometre" },
  // words, among near-identical passages
  { q: "How much does the Kestrel 3 weigh?", answer: "The Kestrel 3 is a road bike" },
  { q: "What does the Heron 7 cost?", answer: "The Heron 7 is a folding bike" },
  { q: "Frame warranty of the Merlin 3?", answer: "The Merlin 3 is a gravel bike" },
  { q: "Is the Puffin 7 heavy?", answer: "The Puffin 7 is a folding bike" },
  { q: "Price of the Robin 7", answer: "The Robin 7 is a city bike" },
  { q: "What is the Sparrow 7 made of?", answer: "The Sparrow 7 is a city bike" },
  { q: "Harrier 9 price", answer: "The Harrier 9 is a touring bike" },
  { q: "Swift 7 frame material", answer: "The Swift 7 is a city bike" },
  { q: "How long is the warranty on the Wren 3?", answer: "The Wren 3 is a gravel bike" },
  { q: "Falcon 7 weight", answer: "The Falcon 7 is a city bike" },
  { q: "What does E-215 mean?", answer: "Error E-215 " },
  { q: "display shows E-321", answer: "Error E-321 " },
  { q: "E-637 on the screen", answer: "Error E-637 " },
  { q: "error E-143", answer: "Error E-143 " },
  { q: "what should I do about E-459", answer: "Error E-459 " },
  { q: "E-521 fault", answer: "Error E-521 " },
  { q: "What is the guest Wi-Fi called?", answer: "Northwind-Guest" },
  // both
  { q: "How often must torque wrenches be calibrated?", answer: "calibration every twelve months" },
  { q: "How often do I have to change my password?", answer: "every 90 days" },
  { q: "When are workshop repairs accepted on Saturday?", answer: "until noon on Saturdays" },
  { q: "By when must expense claims be filed?", answer: "filed within 30 days" },
];
