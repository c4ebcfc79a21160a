import type { Example } from "./read/index.ts";
import type { Issue, WarningCode } from "./report.ts";

/** The text of a message a model learns or reads: its content and, for calls, names and arguments. */
export const messageText = (m: Example["messages"][number]): string =>
  m.tool_calls
    ? [m.content, ...m.tool_calls.map((c) => `${c.function.name} ${c.function.arguments}`)]
        .filter((s) => s !== "")
        .join("\n")
    : m.content;

/**
 * Which functions a set defines and calls, counted over its examples (a few numbers per function
 * name, never per example), and the warnings that follow: a function never called, or every call
 * going to one function.
 */
export class ToolUsage {
  private readonly byName = new Map<
    string,
    { defined: number; firstLine: number; called: number }
  >();
  calls = 0;
  examplesWithTools = 0;

  add(e: Example, line: number): void {
    if (e.tools) {
      this.examplesWithTools++;
      for (const t of e.tools) {
        const u = this.byName.get(t.function.name);
        if (u) u.defined++;
        else this.byName.set(t.function.name, { defined: 1, firstLine: line, called: 0 });
      }
    }
    for (const m of e.messages)
      for (const c of m.tool_calls ?? []) {
        this.calls++;
        const u = this.byName.get(c.function.name);
        if (u) u.called++;
      }
  }

  warnings(file: string): Issue<WarningCode>[] {
    const out: Issue<WarningCode>[] = [];
    const lines = (n: number) => `${n} line${n === 1 ? "" : "s"}`;
    for (const [name, u] of this.byName) {
      if (u.called > 0) continue;
      out.push({
        file,
        line: u.firstLine,
        code: "tool_never_called",
        message: `the function "${name}" is defined in ${lines(u.defined)} but never called in the set; add examples that call it (the model cannot learn when to use it), or remove it from tools`,
      });
    }
    const called = [...this.byName].filter(([, u]) => u.called > 0);
    const [only] = called;
    if (this.byName.size >= 2 && this.calls >= 5 && called.length === 1 && only) {
      const others = [...this.byName.keys()].filter((n) => n !== only[0]);
      out.push({
        file,
        code: "one_function_called",
        message: `all ${this.calls} calls go to "${only[0]}" although ${this.byName.size} functions are defined; add examples that call ${others.map((n) => `"${n}"`).join(", ")}, or the model learns to call "${only[0]}" for everything`,
      });
    }
    return out;
  }
}
