/**
 * The studio's Export panel, in Debian's Chromium (playwright-core) on a real server (real SQLite,
 * engine and tiny model): signed in with the key, on a fine-tuned model's results page, "Download
 * for llama.cpp / LM Studio (GGUF)" at the smaller size; the engine's progress while it runs, then
 * the browser's download, whose GGUF file starts with the bytes "GGUF" (the file itself, or inside
 * the .tar.gz), its files as the API lists them, the next step with a working Copy button; the page
 * reloaded offers the finished export again without downloading it; the engine that answers the
 * model said on the results page and in the model list; a refused export (a base model's adapter) said
 * in the server's words. Screenshots go to test-output/studio-export/.
 */
import assert from "node:assert/strict";
import { closeSync, mkdirSync, openSync, readdirSync, readSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import * as tar from "tar";
import { readLocalAdminKey } from "../auth/index.ts";
import { cliSandbox, supportJsonl } from "../cli/__fixtures__/cli.ts";
import { checkControls, studioBrowser } from "./__fixtures__/browser.ts";
import { type RunningServer, startServer } from "./index.ts";

const { home, file, tiny, trainTiny } = cliSandbox("tailor-studio-export-", {
  HF_HUB_OFFLINE: "1",
});
const GGUF_LABEL = "Download for llama.cpp / LM Studio (GGUF)";
let server: RunningServer;
let browser: Browser;
let shots = "";
let shot = 0;

async function snap(page: Page, name: string): Promise<void> {
  await checkControls(page, name);
  shot++;
  await page.screenshot({ path: join(shots, `${shot}-${name}.png`), fullPage: true });
}

/** The first four bytes of a file, as text. */
function magic(path: string): string {
  const fd = openSync(path, "r");
  const head = Buffer.alloc(4);
  readSync(fd, head, 0, 4, 0);
  closeSync(fd);
  return head.toString("latin1");
}

/** Every file under `dir`, relative to it, sorted. */
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => statSync(join(dir, f)).isFile())
    .map((f) => relative(dir, join(dir, f)))
    .sort();

interface Export {
  id: string;
  model: string;
  status: string;
  quantization: string | null;
  files: { name: string; bytes: number }[];
  bytes: number | null;
  next_step: string | null;
}

before(async () => {
  tiny();
  trainTiny("support", file("support.jsonl", supportJsonl()));
  server = await startServer({ home, port: 0 });
  ({ browser, shots } = await studioBrowser("studio-export"));
});

after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(home, { recursive: true, force: true });
});

test("export a fine-tuned model as GGUF from its results page and download it", async () => {
  const key = readLocalAdminKey(home) ?? "";
  const get = async <T>(path: string): Promise<T> => {
    const r = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
    assert.ok(r.ok, `GET ${path}: ${r.status} ${await r.clone().text()}`);
    return (await r.json()) as T;
  };
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(String(e)));

  // signed in with the key, as a user pastes it
  await page.goto(server.url);
  await page.getByLabel("Your API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("Signed in as").waitFor();

  // the model's results page: which engine answers it, and the Export panel
  await page.evaluate(`localStorage.setItem("tailor.flow", '{"model":"support"}')`);
  await page.goto(`${server.url}/results`);
  await page.getByRole("heading", { name: "5. Results" }).waitFor();
  const panel = page.getByTestId("export");
  await panel.getByRole("heading", { name: "Use it outside Tailor" }).waitFor();
  const model = await get<{ tailor: { serving?: { engine: string; reason: string } | null } }>(
    "/v1/models/support",
  );
  const serving = model.tailor.serving;
  assert.ok(serving, "the API says which engine answers support");
  const engineWord = serving.engine === "llama.cpp" ? "llama.cpp" : "PyTorch";
  await page
    .getByTestId("serving")
    .filter({ hasText: `Answered by ${engineWord}` })
    .waitFor();

  // GGUF at the smaller size: the size choice appears only for the GGUF formats
  await panel.getByRole("radio", { name: /^Download the adapter \(PEFT\)/ }).check();
  assert.equal(await panel.getByRole("radio", { name: /^Smaller \(q8_0\)/ }).count(), 0);
  await panel.getByRole("radio", { name: /^Download for llama\.cpp/ }).check();
  await panel.getByRole("radio", { name: /^Smaller \(q8_0\)/ }).check();
  await snap(page, "export-choice");

  // every message the running export shows, in order (the page polls once a second)
  await page.evaluate(`(() => {
    window.said = [];
    new MutationObserver(() => {
      const s = document.querySelector("[data-testid=export-running] [role=status]")?.textContent;
      if (s && window.said.at(-1) !== s) window.said.push(s);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  })()`);
  const downloaded = page.waitForEvent("download", { timeout: 300_000 });
  await panel.getByRole("button", { name: GGUF_LABEL }).click();
  // while it runs: the engine's words and a progress bar, the choice locked
  const running = panel.getByTestId("export-running");
  await running.waitFor();
  assert.equal(await panel.getByRole("progressbar", { name: "Export progress" }).count(), 1);
  assert.ok(await panel.getByRole("button", { name: GGUF_LABEL }).isDisabled());
  await page.screenshot({ path: join(shots, "export-running.png"), fullPage: true });

  // the browser's download: a GGUF file (alone, or in the folder's .tar.gz)
  const download = await downloaded;
  const name = download.suggestedFilename();
  const saved = join(home, "downloads", name);
  mkdirSync(join(home, "downloads"), { recursive: true });
  await download.saveAs(saved);
  assert.equal(await download.failure(), null);

  // the engine's words reached the page as it worked (loading the model takes seconds)
  const said = (await page.evaluate("window.said")) as string[];
  console.log(`shown while running: ${said.join(" | ")}`);
  assert.ok(said.includes("Loading the base model"), said.join(" | "));

  const exports = await get<{ data: Export[] }>("/v1/exports");
  assert.equal(exports.data.length, 1, JSON.stringify(exports.data));
  const made = exports.data[0];
  assert.ok(made?.status === "succeeded", `support's export succeeded: ${JSON.stringify(made)}`);
  assert.equal(made.model, "support");
  assert.equal(made.quantization, "q8_0");
  const ggufs = made.files.filter((f) => f.name.endsWith(".gguf"));
  assert.ok(ggufs.length >= 1, `a .gguf among ${made.files.map((f) => f.name)}`);
  assert.ok(
    ggufs.every((f) => f.name.includes("q8_0")),
    "the GGUF files are the size chosen",
  );
  if (name.endsWith(".gguf")) {
    assert.equal(magic(saved), "GGUF");
    assert.equal(statSync(saved).size, ggufs[0]?.bytes);
  } else {
    assert.match(name, /\.tar\.gz$/);
    const out = join(home, "downloads", "unpacked");
    mkdirSync(out);
    await tar.x({ file: saved, cwd: out });
    // the archive may hold the files in one folder named after the export
    const listed = filesUnder(out);
    const top = listed.every((f) => f.includes("/")) ? (listed[0]?.split("/")[0] ?? "") : "";
    const inside = listed.map((f) => (top ? f.slice(top.length + 1) : f));
    assert.deepEqual(inside, made.files.map((f) => f.name).sort());
    for (const g of ggufs) assert.equal(magic(join(out, top, g.name)), "GGUF", g.name);
  }

  // ready: what it holds, the file saved, the next step and its Copy button
  const ready = panel.getByTestId("export-ready");
  await ready.getByText(`${name} (`).waitFor();
  await ready.getByText("Ready: for llama.cpp / LM Studio (GGUF), q8_0.").waitFor();
  await ready.getByText(/^What is in it:/).click();
  for (const f of made.files) await ready.getByTestId("export-files").getByText(f.name).waitFor();
  assert.ok(made.next_step, "the export says what to run next");
  assert.equal(await ready.getByLabel("Command to run next").inputValue(), made.next_step);
  await ready.getByRole("button", { name: "Copy" }).click();
  await ready.getByText("Copied.").waitFor();
  assert.equal(await page.evaluate("navigator.clipboard.readText()"), made.next_step);
  await snap(page, "export-ready");

  // back later: the finished export is offered again, not downloaded again by itself
  let again = 0;
  page.on("download", () => again++);
  await page.reload();
  await panel.getByTestId("export-ready").getByRole("button", { name: "Download it" }).waitFor();
  assert.equal(again, 0);
  const second = page.waitForEvent("download");
  await panel.getByRole("button", { name: "Download it" }).click();
  assert.equal((await second).suggestedFilename(), name);

  // the model list says which engine answers it too
  await page.goto(`${server.url}/manage`);
  const row = page.getByRole("listitem").filter({ hasText: "support" });
  await row.getByText(`Answered by ${engineWord}`).waitFor();
  await snap(page, "manage-serving");

  // what the server refuses is said in its words: a base model has no adapter to download
  await page.evaluate(`localStorage.setItem("tailor.flow", '{"model":"tiny"}')`);
  await page.goto(`${server.url}/results`);
  await panel.getByRole("radio", { name: /^Download the adapter \(PEFT\)/ }).check();
  await panel.getByRole("button", { name: "Download the adapter (PEFT)" }).click();
  await panel
    .getByRole("alert")
    .filter({ hasText: "is a base model: it has no adapter" })
    .waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});
