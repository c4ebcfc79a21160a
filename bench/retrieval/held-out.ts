/**
 * A second question set over the same documents, written after hybrid search's filters had been
 * chosen on QUESTIONS (corpus.ts) and never used to tune anything: the figures on it are the honest
 * ones. Written as the first set is (meaning-only, words-only and both), with other phrasings, other
 * bikes (some found only by their price or weight) and other display codes.
 */
import type { Question } from "./corpus.ts";

export const HELD_OUT: Question[] = [
  // meaning, few shared words
  {
    q: "Who should I ring if I'm too unwell to come in?",
    answer: "phone your manager before 9 a.m.",
  },
  { q: "Do I get paid for driving my own vehicle for work?", answer: "0.23 euros per kilometre" },
  {
    q: "My notebook computer disappeared, whom do I tell?",
    answer: "report it to the service desk within one hour",
  },
  {
    q: "What happens to holiday I haven't taken by spring?",
    answer: "they expire at the end of March",
  },
  {
    q: "Is a staff member on maternity paid?",
    answer: "paid at full salary for the first eight weeks",
  },
  {
    q: "What should I wear on my face near the grinding machine?",
    answer: "Eye protection must be worn",
  },
  { q: "What if a shopper spots a lower price elsewhere in town?", answer: "we match that price" },
  {
    q: "How quickly do we respond to grievances?",
    answer: "written answer within five working days",
  },
  {
    q: "Can I get my money back for a bicycle I never rode?",
    answer: "return an unused bike within 14 days",
  },
  {
    q: "Where should everyone meet during an evacuation?",
    answer: "assembly point is the car park",
  },
  { q: "Is lunch covered when I'm away on company business?", answer: "35 euros per day for food" },
  {
    q: "Do I need my boss's OK before booking a plane?",
    answer: "approved in advance by your team lead",
  },
  // words, among near-identical passages
  { q: "Which bike costs 4790 euros?", answer: "The Osprey 7 is a" },
  { q: "Which bike weighs 16.9 kg?", answer: "The Puffin 9 is a" },
  { q: "bike priced at 2050 euros", answer: "The Condor 3 is a" },
  { q: "Sparrow 9 frame", answer: "The Sparrow 9 is a" },
  { q: "Merlin 7 folding weight", answer: "The Merlin 7 is a" },
  { q: "E-259", answer: "Error E-259 " },
  { q: "E-437 torque sensor", answer: "Error E-437 " },
  { q: "charger hot E-615", answer: "Error E-615 " },
  { q: "E-121 battery connection", answer: "Error E-121 " },
  { q: "code E-343", answer: "Error E-343 " },
  // both
  { q: "What is the name of the visitors' network?", answer: "Northwind-Guest" },
  { q: "How often are torque wrenches checked?", answer: "calibration every twelve months" },
  { q: "Saturday repair hours", answer: "until noon on Saturdays" },
  { q: "password rotation period", answer: "every 90 days" },
  {
    q: "After how many days off sick do I need a doctor's note?",
    answer: "From the fourth day of absence",
  },
  { q: "How many years until laptops are swapped?", answer: "replaced every four years" },
  { q: "Is there a charge for test rides?", answer: "Test rides are free" },
  { q: "How often does the guest network password change?", answer: "changes every Monday" },
];
