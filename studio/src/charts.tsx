import {
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { Bar, Line } from "react-chartjs-2";

Chart.register(CategoryScale, LinearScale, BarElement, LineElement, PointElement, Legend, Tooltip);

export interface Point {
  x: number;
  y: number;
}

/** Training and validation loss by step; updates as points arrive. */
export function LossChart({
  train,
  validation,
  steps,
}: {
  train: Point[];
  validation: Point[];
  /** The run's length, so the axis does not stretch the first points across the chart. */
  steps?: number | undefined;
}) {
  return (
    <div className="chart" data-testid="loss-chart" data-points={train.length + validation.length}>
      <Line
        aria-label={`Loss chart: ${train.length} training points, ${validation.length} validation points`}
        role="img"
        data={{
          datasets: [
            {
              label: "Training loss",
              data: train,
              borderColor: "#345bd6",
              backgroundColor: "#345bd6",
              pointRadius: train.length > 60 ? 0 : 2,
              borderWidth: 2,
            },
            {
              label: "Validation loss",
              data: validation,
              borderColor: "#d9731a",
              backgroundColor: "#d9731a",
              pointRadius: 4,
              borderWidth: 2,
              borderDash: [6, 3],
            },
          ],
        }}
        options={{
          animation: false,
          maintainAspectRatio: false,
          parsing: false,
          scales: {
            x: {
              type: "linear",
              title: { display: true, text: "training step" },
              min: 0,
              ...(steps ? { suggestedMax: steps } : {}),
            },
            y: { title: { display: true, text: "loss (lower is better)" } },
          },
          plugins: { legend: { position: "bottom", labels: { usePointStyle: true } } },
        }}
      />
    </div>
  );
}

/** How long the examples are, in tokens. */
export function Histogram({ bins }: { bins: { from: number; to: number; count: number }[] }) {
  return (
    <div className="chart small" data-testid="token-histogram">
      <Bar
        role="img"
        aria-label={`Histogram of example lengths: ${bins
          .map((b) => `${b.count} between ${b.from} and ${b.to} tokens`)
          .join("; ")}`}
        data={{
          labels: bins.map((b) => (b.from === b.to ? `${b.from}` : `${b.from}–${b.to}`)),
          datasets: [
            { label: "examples", data: bins.map((b) => b.count), backgroundColor: "#6f8be8" },
          ],
        }}
        options={{
          animation: false,
          maintainAspectRatio: false,
          scales: {
            x: { title: { display: true, text: "length in tokens" } },
            y: { title: { display: true, text: "examples" }, ticks: { precision: 0 } },
          },
          plugins: { legend: { display: false } },
        }}
      />
    </div>
  );
}
