import { type HTMLElement, type Node, NodeType, parse } from "node-html-parser";
import type { Section } from "../types.ts";

const SKIP = new Set(["script", "style", "noscript", "template", "head", "svg", "nav", "iframe"]);
const BLOCK = new Set([
  "p",
  "div",
  "li",
  "ul",
  "ol",
  "table",
  "tr",
  "pre",
  "blockquote",
  "section",
  "article",
  "header",
  "footer",
  "main",
  "aside",
  "dt",
  "dd",
  "br",
  "hr",
  "figure",
  "figcaption",
]);

/** HTML (and DOCX converted to HTML): a section per h1–h6, with the heading path. */
export function parseHtml(html: string): Section[] {
  const root = parse(html, { comment: false, blockTextElements: { pre: true } });
  const sections: Section[] = [];
  const path: { level: number; text: string }[] = [];
  let buffer = "";
  const flush = () => {
    sections.push({
      text: buffer,
      page: null,
      heading: path.map((h) => h.text).join(" › ") || null,
    });
    buffer = "";
  };
  const walk = (node: Node) => {
    if (node.nodeType === NodeType.TEXT_NODE) {
      buffer += node.text.replace(/\s+/g, " ");
      return;
    }
    if (node.nodeType !== NodeType.ELEMENT_NODE) return;
    const el = node as HTMLElement;
    const tag = el.tagName?.toLowerCase() ?? "";
    if (SKIP.has(tag)) return;
    const h = /^h([1-6])$/.exec(tag);
    if (h?.[1]) {
      flush();
      const level = Number(h[1]);
      while (path.length && (path.at(-1)?.level ?? 0) >= level) path.pop();
      const text = el.textContent.replace(/\s+/g, " ").trim();
      if (text) path.push({ level, text });
      return;
    }
    if (tag === "pre") {
      buffer += `\n\n${el.textContent}\n\n`;
      return;
    }
    const block = BLOCK.has(tag);
    if (block) buffer += tag === "li" ? "\n\n- " : "\n\n";
    if (tag === "td" || tag === "th") buffer += " | ";
    for (const child of el.childNodes) walk(child);
    if (block) buffer += "\n\n";
  };
  walk(root);
  flush();
  return sections.map((s) => ({ ...s, text: tidy(s.text) }));
}

/** One space between words, one blank line between paragraphs. */
function tidy(text: string): string {
  return text
    .split(/\n\s*\n/)
    .map((p) => p.replace(/[ \t]+/g, " ").trim())
    .filter(Boolean)
    .join("\n\n");
}
