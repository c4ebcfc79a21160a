import { useState } from "react";
import type { Sampling } from "./Sampling.tsx";

function snippets(model: string, system: string, s: Sampling) {
  const origin = window.location.origin;
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
  max_tokens: ${s.max_tokens},
  // @ts-expect-error Tailor's addition: sample from the k most likely tokens
  top_k: ${s.top_k},
});
console.log(answer.choices[0].message.content);`,
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
    extra_body={"top_k": ${s.top_k}},  # Tailor's addition
)
print(answer.choices[0].message.content)`,
  };
}

/** The same chat in the user's own code, through the official `openai` library. */
export function Code({
  model,
  system,
  sampling,
}: {
  model: string;
  system: string;
  sampling: Sampling;
}) {
  const [lang, setLang] = useState<"TypeScript" | "Python">("TypeScript");
  const code = snippets(model, system, sampling)[lang];
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
