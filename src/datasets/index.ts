export { type Example, type LineProblem, readExamples, toChatJsonl } from "./jsonl.ts";
