/**
 * An assistant version's settings as stored (assistant_versions.settings_json): the parsed settings
 * with each secret header's value replaced by its sealed form (`{name, secret: true, sealed}`).
 * Sealing keeps a secret sent back as read (`value: null`) from the previous version; reading back
 * gives the view (secret values null) or the runtime settings (secrets opened).
 */
import { z } from "zod";
import {
  type AssistantFunction,
  type AssistantSettings,
  type AssistantSettingsParsed,
  ClientFunction,
  HttpFunctionInput,
  AssistantSettingsInput as SettingsSchema,
} from "../../protocol/assistants.ts";
import { TailorError } from "../errors/index.ts";
import type { SecretBox } from "./secrets.ts";
import type { RuntimeAssistant, RuntimeFunction } from "./types.ts";

const StoredHeader = z.union([
  z.object({ name: z.string(), secret: z.literal(false), value: z.string() }),
  z.object({ name: z.string(), secret: z.literal(true), sealed: z.string() }),
]);
type StoredHeader = z.infer<typeof StoredHeader>;

const StoredHttpFunction = HttpFunctionInput.extend({ headers: z.array(StoredHeader) });
type StoredHttpFunction = z.infer<typeof StoredHttpFunction>;
const StoredFunction = z.discriminatedUnion("kind", [ClientFunction, StoredHttpFunction]);

export const StoredSettings = SettingsSchema.extend({ functions: z.array(StoredFunction) });
export type StoredSettings = z.output<typeof StoredSettings>;

/** A version's settings_json read back (the database is ours, but its rows are checked all the same). */
export function readStored(json: string, where: string): StoredSettings {
  const parsed = StoredSettings.safeParse(JSON.parse(json));
  if (parsed.success) return parsed.data;
  throw new TailorError({
    code: "internal",
    message: `the stored settings of ${where} are not readable (${parsed.error.issues[0]?.message}); restore the database from a backup`,
  });
}

const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * The settings to store: secret values sealed; a secret with value null keeps the sealed value of
 * the previous version's header of the same function and name, and is refused without one.
 */
export function sealSettings(
  s: AssistantSettingsParsed,
  previous: StoredSettings | null,
  box: SecretBox,
): StoredSettings {
  const functions = s.functions.map((f, i) => {
    if (f.kind !== "http") return f;
    const before = previous?.functions.find(
      (p): p is StoredHttpFunction => p.kind === "http" && p.name === f.name,
    );
    const headers = f.headers.map((h, j): StoredHeader => {
      if (!h.secret) {
        if (h.value === null) throw nullValue(i, j, "give the header's value");
        return { name: h.name, secret: false, value: h.value };
      }
      if (h.value !== null) return { name: h.name, secret: true, sealed: box.seal(h.value) };
      const kept = before?.headers.find((p) => p.secret && sameName(p.name, h.name));
      if (kept?.secret) return { name: h.name, secret: true, sealed: kept.sealed };
      throw nullValue(i, j, "a new secret needs its value");
    });
    return { ...f, headers };
  });
  return { ...s, functions };
}

function nullValue(i: number, j: number, what: string): TailorError {
  const field = `functions[${i}].headers[${j}].value`;
  return new TailorError({
    code: "invalid_argument",
    message: `${field}: ${what}`,
    details: { field },
  });
}

/** The settings as shown: secret header values null. */
export function viewSettings(s: StoredSettings): AssistantSettings {
  const functions = s.functions.map((f): AssistantFunction => {
    if (f.kind !== "http") return f;
    const headers = f.headers.map((h) =>
      h.secret
        ? { name: h.name, value: null, secret: true }
        : { name: h.name, value: h.value, secret: false },
    );
    return { ...f, headers };
  });
  return { ...s, functions };
}

/** The settings as the runner needs them: secrets opened. */
export function runtimeSettings(s: StoredSettings, box: SecretBox): RuntimeAssistant["settings"] {
  const functions = s.functions.map((f): RuntimeFunction => {
    if (f.kind !== "http") return f;
    const headers = f.headers.map((h) =>
      h.secret
        ? { name: h.name, value: box.open(h.sealed), secret: true }
        : { name: h.name, value: h.value, secret: false },
    );
    return { ...f, headers };
  });
  return { ...s, functions };
}
