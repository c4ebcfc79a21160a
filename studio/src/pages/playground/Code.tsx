import { useState } from "react";
import type { Sampling } from "./Sampling.tsx";
import type { Offer } from "./tools.ts";

/** A JSON value as a Python literal (true/false/null spelled as Python does), indented. */
function python(value: unknown, indent: string): string {
  const words: Record<string, string> = { true: "True", false: "False", null: "None" };
  return JSON.stringify(value, null, 4)
    .replace(/("(?:[^"\\]|\\.)*")|\b(true|false|null)\b/g, (m, str?: string, word?: string) =>
      str || !word ? m : (words[word] ?? m),
    )
    .replaceAll("\n", `\n${indent}`);
}

/** The functions and output format of the playground, as fields of the request. */
function fields(o: Offer, lang: "ts" | "py"): string {
  const entries = Object.entries(o).filter(([, v]) => v !== undefined);
  if (lang === "ts")
    return entries
      .map(([k, v]) => `\n  ${k}: ${JSON.stringify(v, null, 2).replaceAll("\n", "\n  ")},`)
      .join("");
  return entries.map(([k, v]) => `\n    ${k}=${python(v, "    ")},`).join("");
}

function snippets(model: string, system: string, s: Sampling, o: Offer) {
  const origin = window.location.origin;
  const calls = o.tools !== undefined;
  const sys = system ? `{ role: "system", content: ${JSON.stringify(system)} },\n    ` : "";
  const pysys = system ? `{"role": "system", "content": ${JSON.stringify(system)}},\n        ` : "";
  return {
    TypeScript: `// npm install openai
import OpenAI from "openai";

const client = new OpenAI({
  baseURL: "${origin}/v1",
  apiKey: process.env.TAILOR_API_KEY, // a key from "Models, data and keys"
});

const answer = await client.chat.completions.create({
  model: "${model}",
  messages: [
    ${sys}{ role: "user", content: "Hello!" },
  ],
  temperature: ${s.temperature},
  top_p: ${s.top_p},
  max_tokens: ${s.max_tokens},${fields(o, "ts")}
  // @ts-expect-error Tailor's addition: sample from the k most likely tokens
  top_k: ${s.top_k},
});
${
  calls
    ? `const message = answer.choices[0].message;
// a call: run the function, then send its result as {role: "tool", tool_call_id, content}
console.log(message.tool_calls ?? message.content);`
    : "console.log(answer.choices[0].message.content);"
}`,
    Python: `# pip install openai
import os
from openai import OpenAI

client = OpenAI(
    base_url="${origin}/v1",
    api_key=os.environ["TAILOR_API_KEY"],  # a key from "Models, data and keys"
)

answer = client.chat.completions.create(
    model="${model}",
    messages=[
        ${pysys}{"role": "user", "content": "Hello!"},
    ],
    temperature=${s.temperature},
    top_p=${s.top_p},
    max_tokens=${s.max_tokens},
    extra_body={"top_k": ${s.top_k}},  # Tailor's addition${fields(o, "py")}
)
${
  calls
    ? `message = answer.choices[0].message
# a call: run the function, then send its result as {"role": "tool", "tool_call_id", "content"}
print(message.tool_calls or message.content)`
    : "print(answer.choices[0].message.content)"
}`,
  };
}

/** The same chat in the user's own code, through the official `openai` library. */
export function Code({
  model,
  system,
  sampling,
  offer,
}: {
  model: string;
  system: string;
  sampling: Sampling;
  /** Functions and output format, when the playground sets them. */
  offer: Offer;
}) {
  const [lang, setLang] = useState<"TypeScript" | "Python">("TypeScript");
  const code = snippets(model, system, sampling, offer)[lang];
  return (
    <>
      <h2>Use it from your own code</h2>
      <p>
        Tailor speaks the same language as OpenAI's API, so the official <code>openai</code> library
        works: point it at this server and use a Tailor API key.
      </p>
      <div className="tabs" role="tablist" aria-label="Language">
        {(["TypeScript", "Python"] as const).map((l) => (
          <button
            key={l}
            type="button"
            role="tab"
            aria-selected={lang === l}
            className={lang === l ? "tab active" : "tab"}
            onClick={() => setLang(l)}
          >
            {l}
          </button>
        ))}
      </div>
      <pre className="code" role="tabpanel" data-testid="snippet">
        {code}
      </pre>
      <button
        type="button"
        className="secondary"
        onClick={() => void navigator.clipboard?.writeText(code)}
      >
        Copy the code
      </button>
    </>
  );
}
