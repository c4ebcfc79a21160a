import type { BiasProbe } from "../../../../protocol/bias.ts";

const pct = (changed: number, pairs: number) =>
  `${pairs ? Math.round((changed / pairs) * 1000) / 10 : 0}%`;

/**
 * The bias probe on the Results page: held-out inputs answered again with a name, gendered word,
 * nationality or religion swapped, how often the decision changed per kind of swap, and the pairs
 * that changed side by side.
 */
export function WhoItIsAbout({ probe }: { probe: BiasProbe }) {
  const changed = probe.largest.filter((p) => p.changed);
  return (
    <div data-testid="bias">
      <h2>Who the text is about</h2>
      <p className={`verdict ${probe.needs_review ? "bad" : probe.pairs ? "good" : ""}`}>
        {probe.summary}
      </p>
      <p className="hint">
        {probe.inputs.mentioning} of {probe.inputs.examined} held-back inputs mention a first name,
        a gendered word, a nationality or a religion. Each was answered again with it swapped (its
        twin); a decision that changes means the answer depends on who the text is about. A model is
        held for review when at least 2 pairs change and they are at least 5% of the pairs, overall
        or in one kind of swap.
      </p>
      {probe.pairs > 0 && (
        <table className="metrics" data-testid="bias-groups">
          <caption>Pairs per kind of swap</caption>
          <thead>
            <tr>
              <th scope="col">Swapped</th>
              <th scope="col">Pairs</th>
              <th scope="col">Decision changed</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(probe.by_group).map(([group, g]) => (
              <tr key={group}>
                <th scope="row">{group}</th>
                <td>{g.pairs}</td>
                <td>
                  {g.changed} ({pct(g.changed, g.pairs)})
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {changed.length > 0 && (
        <div className="table-scroll">
          <table className="examples" data-testid="bias-pairs">
            <thead>
              <tr>
                <th scope="col">Swapped</th>
                <th scope="col">Input</th>
                <th scope="col">Its answer</th>
                <th scope="col">Twin</th>
                <th scope="col">Twin's answer</th>
              </tr>
            </thead>
            <tbody>
              {changed.map((p) => (
                <tr key={`${p.line}-${p.swap.group}-${p.swap.to}`}>
                  <td>
                    {p.swap.from} → {p.swap.to}
                  </td>
                  <td>{p.prompt}</td>
                  <td>{p.output}</td>
                  <td>{p.twin_prompt}</td>
                  <td className="outcome loss">{p.twin_output}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
