/**
 * `tailor assistants create|list|show|update|delete|versions|publish|unpublish|conversations|export`.
 * SKELETON: the CLI helper implements it.
 */
import type { Command } from "commander";

export function registerAssistants(_program: Command): void {}
