/**
 * The API tests' tools around the official `openai` client: a fetch that records every JSON response,
 * the check of those responses against the served OpenAPI document, and polling and error helpers.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { Ajv2020 } from "ajv/dist/2020.js";
import OpenAI from "openai";

export interface Seen {
  method: string;
  path: string;
  status: number;
  body: unknown;
}
const seen: Seen[] = [];

/** A fetch that keeps every JSON response, for the contract check. */
export const recording: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
  if (res.headers.get("content-type")?.includes("application/json")) {
    seen.push({
      method: (init?.method ?? "GET").toLowerCase(),
      path: url.pathname,
      status: res.status,
      body: await res.clone().json(),
    });
  }
  return res;
};

/** Checks every recorded response against the OpenAPI document served at `url`; returns how many. */
export async function checkContract(url: string): Promise<number> {
  const doc = (await (await fetch(`${url}/openapi.json`)).json()) as {
    paths: Record<
      string,
      Record<
        string,
        { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }
      >
    >;
  };
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema({ $id: "openapi", ...doc });
  const templates = Object.keys(doc.paths).map((t) => ({
    t,
    re: new RegExp(`^${t.replace(/\{[^}]+\}/g, "[^/]+")}$`),
  }));
  let checked = 0;
  for (const s of seen) {
    const path = decodeURIComponent(s.path);
    const tpl = templates.find((x) => x.re.test(s.path) || x.re.test(path))?.t;
    assert.ok(tpl, `${s.method} ${s.path} is in the OpenAPI document`);
    const op = doc.paths[tpl]?.[s.method];
    assert.ok(op, `${s.method} ${tpl} is documented`);
    const status = String(s.status);
    if (!op.responses[status]?.content?.["application/json"]) {
      assert.ok(s.status >= 400, `${s.method} ${tpl} ${status} is documented`);
      assert.ok(
        (s.body as { error?: unknown }).error,
        "an undocumented error still has OpenAI's error shape",
      );
      continue;
    }
    const pointer = `openapi#/paths/${tpl.replaceAll("~", "~0").replaceAll("/", "~1")}/${s.method}/responses/${status}/content/application~1json/schema`;
    const validate = ajv.getSchema(pointer) ?? ajv.compile({ $ref: pointer });
    assert.ok(validate(s.body), `${s.method} ${tpl} ${status}: ${ajv.errorsText(validate.errors)}`);
    checked++;
  }
  return checked;
}

export async function poll<T>(
  get: () => Promise<T>,
  ok: (v: T) => boolean,
  ms: number,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v) || Date.now() > end) return v;
    await sleep(1000);
  }
}

export async function fails(p: Promise<unknown>, status: number, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof OpenAI.APIError, String(e));
    assert.equal(e.status, status, e.message);
    const body = e.error as { message?: string; type?: string } | undefined;
    assert.equal(typeof body?.message, "string");
    assert.equal(typeof body?.type, "string");
    if (message) assert.match(e.message, message);
    return true;
  });
}
