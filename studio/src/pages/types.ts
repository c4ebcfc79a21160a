import type { Flow } from "../flow.ts";

export interface PageProps {
  flow: Flow;
  update: (patch: Partial<Flow>) => void;
  go: (path: string) => void;
}
