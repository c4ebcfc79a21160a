/**
 * Secrets never reach the logs, the audit or the store in the clear: a real `tailor serve` (its own
 * process, stdout and stderr captured as a service manager would keep them), the real engine and
 * the tiny model. The test makes a key and uses it, sends a wrong one, publishes an assistant whose
 * HTTP function sends a secret header (the tiny model writes noise, so tool_choice forces the call;
 * the endpoint is a node:http server on 127.0.0.1, the admin's one private host), unlocks its share
 * page with a passcode (and a wrong one) and asks a question there. Then every secret is looked for
 * in the server's output, in GET /v1/audit, and in every file under TAILOR_HOME but the key files.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { endpoint, ORDER_SHIPPED } from "../assistants/__fixtures__/endpoint.ts";
import { readLocalAdminKey } from "../auth/index.ts";
import { cliSandbox } from "../cli/__fixtures__/cli.ts";

const BIN = fileURLToPath(new URL("../../bin/tailor", import.meta.url));
const { home, tiny } = cliSandbox("tailor-sec-secrets-", { HF_HUB_OFFLINE: "1" });
const SECRET = "shop-secret-5b1e9d7c42";
const PASSCODE = "passcode-8c3f0a61";
const WRONG_PASSCODE = "wrong-pass-7d2e4b90";
const WRONG_KEY = `tailor-sk-${"ab".repeat(24)}`;
const api = endpoint(ORDER_SHIPPED);
let child: ChildProcess;
let output = "";
let url = "";
let admin = "";
let fnPort = 0;

before(async () => {
  tiny();
  fnPort = await api.start();
  child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--no-worker"], {
    env: {
      ...process.env,
      TAILOR_HOME: home,
      HF_HUB_OFFLINE: "1",
      TAILOR_LLAMA: "off",
      TAILOR_FUNCTION_PRIVATE_HOSTS: `127.0.0.1:${fnPort}`,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const collect = (b: Buffer) => {
    output += b.toString("utf8");
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /^(http:\/\/127\.0\.0\.1:\d+)$/m.exec(output);
      if (m?.[1]) {
        clearInterval(timer);
        resolve(m[1]);
      }
    }, 100);
    child.once("exit", (code) => {
      clearInterval(timer);
      reject(new Error(`tailor serve exited (${code}): ${output}`));
    });
  });
  admin = readLocalAdminKey(home) ?? "";
});
after(async () => {
  if (child && child.exitCode === null) {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
  await api.stop();
});

async function call(path: string, key: string | null, body?: unknown, cookie?: string) {
  const res = await fetch(`${url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(cookie ? { cookie } : {}),
      "content-type": "application/json",
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, text: await res.text(), cookies: res.headers.getSetCookie() };
}

/** Every file under `dir` but the key files, which hold secrets by design (mode 0600). */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return files(p);
    return ["admin.key", "share.key", "secrets.key"].includes(n) && dir === home ? [] : [p];
  });
}

test("no key, passcode or secret header value in the server's output, the audit or the store", async () => {
  const made = await call("/v1/keys", admin, { name: "analyst", role: "member" });
  assert.equal(made.status, 200, made.text);
  const member = (JSON.parse(made.text) as { key: string }).key;
  assert.equal((await call("/v1/models", member)).status, 200);
  assert.equal((await call("/v1/models", WRONG_KEY)).status, 401);

  const assistant = await call("/v1/assistants", admin, {
    name: "Order desk",
    model: "tiny",
    instructions: "You help the customers of a bike shop.",
    sampling: { temperature: 0, max_tokens: 40 },
    functions: [
      {
        kind: "http",
        name: "order_status",
        description: "Where the customer's order is",
        parameters: {
          type: "object",
          properties: { order_id: { type: "string", pattern: "^A-[0-9]{3}$" } },
          required: ["order_id"],
          additionalProperties: false,
        },
        url: `http://127.0.0.1:${fnPort}/orders`,
        method: "POST",
        timeout_ms: 5000,
        headers: [{ name: "X-Shop-Key", value: SECRET, secret: true }],
      },
    ],
    tool_choice: { name: "order_status" },
    max_function_calls: 1,
  });
  assert.equal(assistant.status, 200, assistant.text);
  assert.ok(!assistant.text.includes(SECRET), "the secret is not echoed back");
  const id = (JSON.parse(assistant.text) as { id: string }).id;
  const pub = await call(`/v1/assistants/${id}/publish`, admin, {
    access: "passcode",
    passcode: PASSCODE,
    slug: "order-desk",
  });
  assert.equal(pub.status, 200, pub.text);

  const page = "/a/order-desk/api";
  assert.equal((await call(`${page}/unlock`, null, { passcode: WRONG_PASSCODE })).status, 401);
  const unlocked = await call(`${page}/unlock`, null, { passcode: PASSCODE });
  assert.equal(unlocked.status, 200, unlocked.text);
  const cookie = unlocked.cookies.map((c) => c.split(";")[0]).join("; ");
  const conv = await call(`${page}/conversations`, null, {}, cookie);
  assert.equal(conv.status, 201, conv.text);
  const convId = (JSON.parse(conv.text) as { id: string }).id;
  const asked = await call(
    `${page}/conversations/${convId}/messages`,
    null,
    { content: "Where is my order A-123?" },
    cookie,
  );
  assert.equal(asked.status, 200, asked.text);
  assert.equal(api.seen.length, 1, "the function was called");
  assert.equal(api.seen[0]?.headers["x-shop-key"], SECRET, "with its secret header");

  const audit = await call("/v1/audit?limit=1000", admin);
  assert.equal(audit.status, 200);
  const actions = (JSON.parse(audit.text) as { data: { action: string }[] }).data.map(
    (e) => e.action,
  );
  assert.ok(
    actions.includes("assistant.function_call") && actions.includes("share.unlock"),
    actions.join(),
  );

  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  assert.match(output, /Tailor API on http/);
  assert.match(output, /Studio: http:\/\/127\.0\.0\.1:\d+\/ \(sign in with the key in /);

  const secrets = { admin, member, WRONG_KEY, SECRET, PASSCODE, WRONG_PASSCODE };
  for (const [what, value] of Object.entries(secrets)) {
    assert.ok(value.length > 10);
    assert.ok(!output.includes(value), `${what} is in the server's output`);
    assert.ok(!audit.text.includes(value), `${what} is in the audit log`);
    for (const f of files(home)) {
      assert.ok(!readFileSync(f).includes(value), `${what} is in ${f} in the clear`);
    }
  }
});
