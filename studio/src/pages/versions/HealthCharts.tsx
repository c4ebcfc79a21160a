/**
 * A model's days in use as charts (Chart.js, as studio/src/charts.tsx draws training): requests,
 * thumbs up and down with answers marked wrong, moderation flags, the share of questions unlike its
 * training data, and the answers' length. Each chart says its numbers to a screen reader.
 */
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
import type { ReactNode } from "react";
import { Bar, Line } from "react-chartjs-2";
import type { HealthDay } from "./client.ts";

Chart.register(CategoryScale, LinearScale, BarElement, LineElement, PointElement, Legend, Tooltip);

const GOOD = "#17794a";
const BAD = "#b3261e";
const ACCENT = "#345bd6";
const WARN = "#d9731a";

/** "Dec 2" for "2026-12-02" (the days are UTC dates). */
export const dayLabel = (day: string) =>
  new Date(`${day}T00:00:00Z`).toLocaleDateString("en", {
    month: "short",
    day: "numeric",
    timeZone: "UTC",
  });

/** The share of checked questions that were unfamiliar, in percent (null on a day with none checked). */
export const unfamiliarShare = (d: HealthDay): number | null =>
  d.drift_checked > 0 ? Math.round((1000 * d.unfamiliar) / d.drift_checked) / 10 : null;

const sum = (days: HealthDay[], f: (d: HealthDay) => number) => days.reduce((s, d) => s + f(d), 0);

function Frame({
  id,
  title,
  said,
  children,
}: {
  id: string;
  title: string;
  said: string;
  children: ReactNode;
}) {
  return (
    <figure className="versions-chart" aria-labelledby={`${id}-title`} data-testid={id}>
      <figcaption id={`${id}-title`}>{title}</figcaption>
      <p className="sr-only">{said}</p>
      <div className="chart small">{children}</div>
    </figure>
  );
}

const bars = {
  animation: false as const,
  maintainAspectRatio: false,
  scales: {
    x: { stacked: true },
    y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
  },
  plugins: { legend: { position: "bottom" as const, labels: { usePointStyle: true } } },
};

export function HealthCharts({ days }: { days: HealthDay[] }) {
  const labels = days.map((d) => dayLabel(d.day));
  const share = days.map(unfamiliarShare);
  const checked = sum(days, (d) => d.drift_checked);
  return (
    <div className="versions-charts">
      <Frame
        id="chart-requests"
        title="Questions asked per day"
        said={`${sum(days, (d) => d.requests)} questions over ${days.length} days.`}
      >
        <Bar
          role="img"
          aria-label="Questions asked per day"
          data={{
            labels,
            datasets: [
              { label: "questions", data: days.map((d) => d.requests), backgroundColor: ACCENT },
            ],
          }}
          options={{ ...bars, plugins: { legend: { display: false } } }}
        />
      </Frame>
      <Frame
        id="chart-feedback"
        title="Feedback per day"
        said={`${sum(days, (d) => d.thumbs_up)} thumbs up, ${sum(days, (d) => d.thumbs_down)} thumbs down, ${sum(days, (d) => d.wrong)} marked wrong.`}
      >
        <Bar
          role="img"
          aria-label="Feedback per day"
          data={{
            labels,
            datasets: [
              { label: "thumbs up", data: days.map((d) => d.thumbs_up), backgroundColor: GOOD },
              { label: "thumbs down", data: days.map((d) => d.thumbs_down), backgroundColor: BAD },
              { label: "marked wrong", data: days.map((d) => d.wrong), backgroundColor: WARN },
            ],
          }}
          options={{ ...bars, scales: { x: {}, y: bars.scales.y } }}
        />
      </Frame>
      <Frame
        id="chart-flags"
        title="Moderation flags per day"
        said={`${sum(days, (d) => d.flags)} flags.`}
      >
        <Bar
          role="img"
          aria-label="Moderation flags per day"
          data={{
            labels,
            datasets: [{ label: "flags", data: days.map((d) => d.flags), backgroundColor: BAD }],
          }}
          options={{ ...bars, plugins: { legend: { display: false } } }}
        />
      </Frame>
      <Frame
        id="chart-unfamiliar"
        title="Unfamiliar questions (share of those checked)"
        said={
          checked
            ? `${sum(days, (d) => d.unfamiliar)} of ${checked} questions checked were unlike the training data.`
            : "No questions were checked against the training data."
        }
      >
        <Line
          role="img"
          aria-label="Unfamiliar questions, percent per day"
          data={{
            labels,
            datasets: [
              {
                label: "unfamiliar %",
                data: share,
                borderColor: WARN,
                backgroundColor: WARN,
                spanGaps: true,
                pointRadius: 3,
              },
            ],
          }}
          options={{
            animation: false,
            maintainAspectRatio: false,
            scales: { y: { min: 0, max: 100, title: { display: true, text: "%" } } },
            plugins: { legend: { display: false } },
          }}
        />
      </Frame>
      <Frame
        id="chart-length"
        title="Average answer length (characters)"
        said="The answers' average length per day."
      >
        <Line
          role="img"
          aria-label="Average answer length per day"
          data={{
            labels,
            datasets: [
              {
                label: "characters",
                data: days.map((d) => d.mean_answer_chars),
                borderColor: ACCENT,
                backgroundColor: ACCENT,
                spanGaps: true,
                pointRadius: 3,
              },
            ],
          }}
          options={{
            animation: false,
            maintainAspectRatio: false,
            scales: { y: { beginAtZero: true } },
            plugins: { legend: { display: false } },
          }}
        />
      </Frame>
    </div>
  );
}
