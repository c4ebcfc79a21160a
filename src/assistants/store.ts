/**
 * Assistants in TAILOR_HOME's database: each change a new version, secrets sealed, the publication
 * (slug, access, passcode hash, visitor rate). SKELETON: the store helper implements it.
 */
import type {
  Assistant,
  AssistantSettingsInput,
  AssistantVersion,
  PublishInput,
} from "../../protocol/assistants.ts";
import type { Db } from "../store/index.ts";
import type { SecretBox } from "./secrets.ts";
import type { RuntimeAssistant } from "./types.ts";

const todo = (what: string): never => {
  throw new Error(`AssistantStore.${what}: not implemented yet`);
};

export class AssistantStore {
  constructor(
    readonly db: Db,
    readonly secrets: SecretBox,
  ) {}

  /** A new assistant at version 1, owned by `owner`; `author` is the key id. */
  create(_owner: string, _author: string, _input: AssistantSettingsInput): Assistant {
    return todo("create");
  }

  /** Merges the given top-level settings into the current ones: a new version. */
  update(_id: string, _author: string, _patch: Partial<AssistantSettingsInput>): Assistant {
    return todo("update");
  }

  /** The assistant, or a not_found TailorError. */
  get(_id: string): Assistant {
    return todo("get");
  }

  find(_id: string): Assistant | null {
    return todo("find");
  }

  /** Newest first; every owner's when `owner` is undefined. */
  list(_owner: string | undefined): Assistant[] {
    return todo("list");
  }

  delete(_id: string): void {
    todo("delete");
  }

  versions(_id: string): AssistantVersion[] {
    return todo("versions");
  }

  /** One version (the current one when `version` is undefined) with its secrets opened. */
  runtime(_id: string, _version?: number): RuntimeAssistant {
    return todo("runtime");
  }

  publish(_id: string, _input: PublishInput): Assistant {
    return todo("publish");
  }

  unpublish(_id: string): Assistant {
    return todo("unpublish");
  }

  /** The published assistant at `/a/<slug>`, or null (unknown or unpublished). */
  bySlug(_slug: string): Assistant | null {
    return todo("bySlug");
  }

  /** Whether `passcode` opens the assistant's page (constant-time against the stored hash). */
  checkPasscode(_id: string, _passcode: string): boolean {
    return todo("checkPasscode");
  }
}
