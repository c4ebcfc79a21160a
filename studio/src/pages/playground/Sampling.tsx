import { GLOSSARY, Hint } from "../../ui.tsx";

/** How the model picks its words; sent with every message and shown in the code snippets. */
export interface Sampling {
  temperature: number;
  top_p: number;
  top_k: number;
  max_tokens: number;
}

const SLIDERS: {
  key: keyof Sampling;
  label: string;
  min: number;
  max: number;
  step: number;
  help: string;
}[] = [
  {
    key: "temperature",
    label: "Temperature",
    min: 0,
    max: 2,
    step: 0.1,
    help: GLOSSARY.temperature,
  },
  { key: "top_p", label: "Top-p", min: 0.05, max: 1, step: 0.05, help: GLOSSARY.top_p },
  { key: "top_k", label: "Top-k", min: 0, max: 100, step: 1, help: GLOSSARY.top_k },
  {
    key: "max_tokens",
    label: "Max tokens",
    min: 16,
    max: 1024,
    step: 16,
    help: GLOSSARY.max_tokens,
  },
];

export function Sliders({
  sampling,
  onChange,
}: {
  sampling: Sampling;
  onChange: (sampling: Sampling) => void;
}) {
  return SLIDERS.map((s) => (
    <div className="field slider" key={s.key}>
      <label htmlFor={`s-${s.key}`}>
        {s.label}: <output htmlFor={`s-${s.key}`}>{sampling[s.key]}</output>
      </label>
      <input
        id={`s-${s.key}`}
        type="range"
        min={s.min}
        max={s.max}
        step={s.step}
        value={sampling[s.key]}
        aria-describedby={`s-${s.key}-help`}
        onChange={(e) => onChange({ ...sampling, [s.key]: Number(e.target.value) })}
      />
      <Hint id={`s-${s.key}-help`}>{s.help}</Hint>
    </div>
  ));
}
