/**
 * The data-check benchmarks' file: support conversations of Northwind Bikes, an e-mail address in
 * every 50th question, a line that is not JSON every 997th, until the file has `megabytes` MB.
 * `who(i)`, when given, says who asks question i (bench/names.ts: a name in every question).
 */
import { closeSync, openSync, writeSync } from "node:fs";

const TOPICS = [
  "brakes",
  "gears",
  "a refund",
  "delivery",
  "tyres",
  "the warranty",
  "an e-bike battery",
];

export function makeSupportFile(
  path: string,
  megabytes: number,
  who: (i: number) => string = () => "",
): void {
  const fd = openSync(path, "w");
  let written = 0;
  for (let i = 0; written < megabytes * 1024 * 1024; i++) {
    const topic = TOPICS[i % TOPICS.length];
    const pii = i % 50 === 0 ? ` You can reach me at rider${i}@example.com.` : "";
    const line =
      i % 997 === 0
        ? "this line is not JSON\n"
        : `${JSON.stringify({
            messages: [
              { role: "system", content: "You are the support assistant of Northwind Bikes." },
              {
                role: "user",
                content: `Hello, question ${i} about ${topic}: ${who(i)}it has been making a noise since last week and I would like to know what to do before my trip.${pii}`,
              },
              {
                role: "assistant",
                content: `Thanks for writing about ${topic}. Please bring the bike in; a check takes about 20 minutes and is free under warranty (ticket ${i}).`,
              },
            ],
          })}\n`;
    writeSync(fd, line);
    written += Buffer.byteLength(line);
  }
  closeSync(fd);
}
