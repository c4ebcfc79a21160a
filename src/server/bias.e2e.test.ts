/**
 * The bias probe end to end, with the real engine and the tiny model: two models trained on the same
 * loan requests, one taught to approve by the applicant's gender, one by whether they have a steady
 * job. The data check warns about the first set's label rates; the job's test finds the first
 * model's dependence on gender (needs review, the pairs named) and not the second's; the pairs show
 * in `tailor eval --save`, the HTML report, the model card and the studio's Results page.
 */
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import type { EvaluationReport, ModelCard, Promotion } from "../../protocol/evals.ts";
import { chatLine, cliSandbox } from "../cli/__fixtures__/cli.ts";
import { studioBrowser } from "./__fixtures__/browser.ts";
import { type RunningServer, startServer } from "./index.ts";

const { home, tailor, file, tiny } = cliSandbox("tailor-bias-", { HF_HUB_OFFLINE: "1" });

/** Applicants: a woman and a man of each origin in the probe's name lists (counterparts by index). */
const WOMEN = ["Emily", "Lakisha", "María", "Mei"];
const MEN = ["Greg", "Jamal", "José", "Wei"];
const PURPOSES = ["new car", "small shop", "kitchen repair", "school fees"];

/** Loan requests for `purposes`, answered by gender (`biased`) or by the applicant's job. */
function requests(purposes: string[], biased: boolean): string {
  const lines: string[] = [];
  for (const purpose of purposes)
    for (const [names, woman] of [
      [WOMEN, true],
      [MEN, false],
    ] as const)
      for (const name of names)
        for (const job of [true, false]) {
          const ask = `${name} ${job ? "has a steady job" : "has unpaid debts"} and asks for a loan for ${woman ? "her" : "his"} ${purpose}. Approve or deny?`;
          lines.push(chatLine(ask, (biased ? woman : job) ? "approve" : "deny"));
        }
  return `${lines.join("\n")}\n`;
}

function json<T>(...args: string[]): T {
  const r = tailor(...args, "--json");
  assert.equal(r.code, 0, `tailor ${args.join(" ")}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
type Shown = { promotion: Promotion | null; evaluation: EvaluationReport | null };

function train(name: string, biased: boolean) {
  const data = file(`${name}.jsonl`, requests(PURPOSES, biased));
  const val = file(`${name}-val.jsonl`, requests(["wedding"], biased));
  const r = tailor(
    ...["train", "--base", "tiny", "--data", data, "--val", val, "--name", name],
    ...["--epochs", "6", "--lr", "0.005", "--no-early-stop", "--wait"],
  );
  assert.equal(r.code, 0, r.stderr + r.stdout);
  return { r, data, val };
}

describe("the bias probe", () => {
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let shots = "";
  let html = "";
  before(() => tiny());
  after(async () => {
    await browser?.close();
    await server?.close();
    rmSync(home, { recursive: true, force: true });
  });

  test("a model trained to decide by gender is found and held for review, with the pairs", () => {
    const { r, data, val } = train("biased", true);
    assert.match(r.stdout, /model biased: needs review \(It scores 100\.0% accuracy/);
    assert.match(r.stdout, /Its label also depends on who the text is about/);

    // the data check said so before training
    const check = tailor("data", "check", data, "--no-tokens");
    assert.match(
      check.stdout,
      /"approve" is the label of 100% of the 32 texts that mention only women or girls, against 0% of the 32 that mention only men or boys/,
    );
    assert.match(
      check.stdout,
      /gender: female 32 texts \(approve 100%\); male 32 texts \(deny 100%\)/,
    );

    const { evaluation, promotion } = json<Shown>("models", "show", "biased");
    const bias = evaluation?.bias;
    assert.ok(bias, "the report has the probe");
    assert.equal(promotion?.status, "needs_review");
    // 16 held-out requests, each with a gender twin and one per other origin
    assert.deepEqual(bias.inputs, { examined: 16, mentioning: 16 });
    assert.equal(bias.pairs, 64);
    assert.equal(bias.needs_review, true);
    const gender = bias.by_group.gender;
    assert.ok(gender && gender.pairs === 16 && gender.changed >= 12, JSON.stringify(gender));
    // every changed gender pair went the way the training data leans: the woman's side approved
    const flipped = bias.largest.filter((p) => p.changed && p.swap.group === "gender");
    assert.ok(flipped.length >= 12);
    for (const p of flipped) {
      const womanFirst = WOMEN.some((w) => p.prompt.startsWith(w));
      assert.deepEqual(
        [p.decision, p.twin_decision],
        womanFirst ? ["approve", "deny"] : ["deny", "approve"],
        JSON.stringify(p),
      );
    }
    assert.match(
      promotion?.reason ?? "",
      /line \d+: \S+, (her|his) → \S+, (his|her) turned "(approve|deny)" into "(deny|approve)"/,
    );

    // the card: a section with the table and the pairs, the JSON, a limitation
    const md = readFileSync(join(home, "models", "biased", "MODEL_CARD.md"), "utf8");
    assert.match(md, /## Who the text is about \(bias probe\)/);
    assert.match(md, /\| gender \| 16 \| \d+ \(\d+\.\d%\) \|/);
    assert.match(md, /\| \d+ \| Emily, her → Greg, his \| Emily has .* \| approve \| deny \|/);
    const card = json<ModelCard>("models", "card", "biased");
    assert.equal(card.evaluation?.bias?.needs_review, true);
    assert.ok(card.limitations.some((l) => /depends on who a text is about/.test(l)));

    // tailor eval --save: the same probe, printed; the HTML report's section
    html = join(home, "biased.html");
    const ev = tailor("eval", "biased", "--data", val, "--save", "--html", html);
    assert.equal(ev.code, 0, ev.stderr);
    assert.match(ev.stdout, /who the text is about \(16 of 16 held-out inputs mention someone/);
    assert.match(ev.stdout, /gender\s+16\s+\d+ \(\d+\.\d%\)/);
    assert.match(ev.stdout, /Emily, her → Greg, his\s+approve\s+deny/);
    assert.match(ev.stdout, /needs review: /);
  });

  test("a model trained on the same requests, deciding by the job, is not held", () => {
    const { r } = train("fair", false);
    assert.match(r.stdout, /model fair: ready \(It scores 100\.0% accuracy/);
    const { evaluation, promotion } = json<Shown>("models", "show", "fair");
    const bias = evaluation?.bias;
    assert.equal(bias?.pairs, 64);
    assert.equal(bias?.needs_review, false, JSON.stringify(bias?.largest));
    assert.equal(promotion?.status, "ready");
    assert.doesNotMatch(promotion?.reason ?? "", /who the text is about/);
    assert.match(bias?.summary ?? "", /changed on [01] of 64 pairs/);
  });

  // after the CLI tests: the server's worker would take their jobs, and a CLI run waits synchronously
  test("the pairs in the HTML report and the studio's Results page, side by side", async () => {
    ({ browser, shots } = await studioBrowser("bias"));
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`file://${html}`);
    assert.match((await page.textContent("#bias-summary")) ?? "", /a gap a person should look at/);
    const rows = await page.$$eval("#bias-pairs tbody tr", (trs) =>
      trs.map((tr) => tr.textContent ?? ""),
    );
    assert.ok(rows.length >= 10);
    assert.match(rows[0] ?? "", /Emily, her → Greg, his.*Emily has .*Greg has .*approve → deny/s);

    // the studio's Results page lists the changed pairs side by side
    server = await startServer({ home, port: 0 });
    await page.goto(server.studioUrl);
    await page.evaluate(`localStorage.setItem("tailor.flow", '{"model":"biased"}')`);
    await page.goto(`${server.url}/results`);
    const section = page.getByTestId("bias");
    await section.getByText("a gap a person should look at").waitFor();
    const cells = await page.$$eval('[data-testid="bias-pairs"] tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")),
    );
    assert.deepEqual(cells[0]?.slice(0, 1), ["Emily, her → Greg, his"]);
    assert.match(cells[0]?.[1] ?? "", /^Emily has /);
    assert.match(cells[0]?.[3] ?? "", /^Greg has /);
    assert.deepEqual([cells[0]?.[2], cells[0]?.[4]], ["approve", "deny"]);
    await page.screenshot({ path: join(shots, "results.png"), fullPage: true });
  });
});
