/** How models do in use: usage, feedback, flags and drift, day by day. */
export { UsageLog, type UsageRecord } from "./usage.ts";
