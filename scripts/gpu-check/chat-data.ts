/**
 * The training benchmark's data set (bench/lib/chat-data.ts: deterministic support-style chats of 20
 * to ~1,000 tokens), written for the GPU check's Python steps.
 * Usage: node --import tsx scripts/gpu-check/chat-data.ts OUT_FILE COUNT
 */
import { writeChatData } from "../../bench/lib/chat-data.ts";

const [out, count] = process.argv.slice(2);
if (!out || !count || !(Number(count) > 0)) {
  console.error("usage: chat-data.ts OUT_FILE COUNT");
  process.exit(2);
}
writeChatData(out, Number(count));
