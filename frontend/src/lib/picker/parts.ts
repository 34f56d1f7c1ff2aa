// Selector pieces for one element, ranked by how well they survive a redesign, written as CSS or XPath.

import {
  SEMANTIC_ATTRIBUTES,
  TEST_ATTRIBUTES,
  classStability,
  isMeaningfulDataAttribute,
  isStableId,
  isUsableValue,
} from "./stability";

/** One condition on an element; a compound selector is a list of them (e.g. tag + class). */
export type Condition =
  | { kind: "id"; value: string }
  | { kind: "attr"; name: string; value?: string }
  | { kind: "class"; value: string }
  | { kind: "tag"; value: string }
  | { kind: "nth"; tag: string; index: number };

/** A compound selector for one element and its cost: lower is more robust. */
export interface Part {
  conditions: Condition[];
  penalty: number;
  /** The element is not HTML (SVG, MathML): XPath must test its local-name(). */
  foreign?: boolean;
}

/** Tags that keep their meaning in any design: a link stays a link, a button a button. */
const SEMANTIC_TAGS = new Set([
  "a",
  "button",
  "input",
  "select",
  "textarea",
  "img",
  "picture",
  "video",
  "audio",
  "iframe",
  "time",
  "label",
  "form",
  "table",
  "thead",
  "tbody",
  "tr",
  "th",
  "td",
  "meta",
  "link",
  "svg",
]);

const HTML_NS = "http://www.w3.org/1999/xhtml";

export function tagOf(element: Element): string {
  return element.localName.toLowerCase();
}

function isHtml(element: Element): boolean {
  return element.namespaceURI === HTML_NS || element.namespaceURI === null;
}

/** 1-based position among siblings with the same tag. */
export function nthOfType(element: Element): number {
  let index = 1;
  for (let sibling = element.previousElementSibling; sibling; sibling = sibling.previousElementSibling) {
    if (sibling.localName === element.localName) index++;
  }
  return index;
}

/** Every robust single-condition part of an element, best first; no positional parts. */
export function partsOf(element: Element): Part[] {
  const parts: Part[] = [];
  const foreign = !isHtml(element);
  const add = (condition: Condition, penalty: number) =>
    parts.push({ conditions: [condition], penalty, foreign });
  const id = element.getAttribute("id");
  if (id && isStableId(id)) add({ kind: "id", value: id }, 0);
  for (const name of TEST_ATTRIBUTES) {
    const value = element.getAttribute(name);
    if (value && isUsableValue(value)) add({ kind: "attr", name, value }, 1);
  }
  for (const attribute of Array.from(element.attributes)) {
    if (!isMeaningfulDataAttribute(attribute.name)) continue;
    if (isUsableValue(attribute.value))
      add({ kind: "attr", name: attribute.name, value: attribute.value }, 2);
    add({ kind: "attr", name: attribute.name }, 3.2);
  }
  for (const name of SEMANTIC_ATTRIBUTES) {
    const value = element.getAttribute(name);
    if (value && isUsableValue(value)) add({ kind: "attr", name, value }, name === "type" ? 3.4 : 3);
  }
  for (const name of Array.from(element.classList)) {
    const score = classStability(name);
    if (score >= 0.5) add({ kind: "class", value: name }, 4 + (1 - score) * 2);
  }
  const tag = tagOf(element);
  add({ kind: "tag", value: tag }, SEMANTIC_TAGS.has(tag) || /^h[1-6]$/.test(tag) ? 3.6 : 6);
  return parts;
}

/** The part that always singles an element out among its siblings (the last resort). */
export function positionalPart(element: Element): Part {
  const tag = tagOf(element);
  return {
    conditions: [{ kind: "nth", tag, index: nthOfType(element) }],
    penalty: 9,
    foreign: !isHtml(element),
  };
}

export function cssEscape(value: string): string {
  if (typeof CSS !== "undefined" && typeof CSS.escape === "function") return CSS.escape(value);
  return value.replace(/([^a-zA-Z0-9_\u00a0-\uffff-])/g, "\\$1").replace(/^(\d)/, "\\3$1 ");
}

function cssString(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function conditionCss(condition: Condition): string {
  switch (condition.kind) {
    case "id":
      return `#${cssEscape(condition.value)}`;
    case "attr":
      return condition.value === undefined
        ? `[${cssEscape(condition.name)}]`
        : `[${cssEscape(condition.name)}=${cssString(condition.value)}]`;
    case "class":
      return `.${cssEscape(condition.value)}`;
    case "tag":
      return cssEscape(condition.value);
    case "nth":
      return `${cssEscape(condition.tag)}:nth-of-type(${condition.index})`;
  }
}

export function partCss(part: Part): string {
  // A tag (or positional tag) must lead a compound selector.
  const sorted = [...part.conditions].sort(
    (a, b) => Number(b.kind === "tag" || b.kind === "nth") - Number(a.kind === "tag" || a.kind === "nth"),
  );
  return sorted.map(conditionCss).join("");
}

function xpathString(value: string): string {
  if (!value.includes('"')) return `"${value}"`;
  if (!value.includes("'")) return `'${value}'`;
  return `concat("${value.split('"').join(`", '"', "`)}")`;
}

/** One XPath step equivalent to a compound CSS part; `htmlDocument` says whether name tests may be used. */
export function partXpath(part: Part, htmlDocument: boolean): string {
  const html = htmlDocument && !part.foreign;
  let name = "*";
  const predicates: string[] = [];
  let position = "";
  for (const condition of part.conditions) {
    if (condition.kind === "tag" || condition.kind === "nth") {
      const tag = condition.kind === "tag" ? condition.value : condition.tag;
      // Name tests only match HTML elements in HTML documents; SVG and MathML need local-name(.) (with the
      // explicit argument, which jsdom's XPath also understands).
      if (html) name = tag;
      else predicates.unshift(`local-name(.)=${xpathString(tag)}`);
      if (condition.kind === "nth") position = `[${condition.index}]`;
    } else if (condition.kind === "id") {
      predicates.push(`@id=${xpathString(condition.value)}`);
    } else if (condition.kind === "attr") {
      predicates.push(
        condition.value === undefined
          ? `@${condition.name}`
          : `@${condition.name}=${xpathString(condition.value)}`,
      );
    } else {
      predicates.push(
        `contains(concat(" ",normalize-space(@class)," "),${xpathString(` ${condition.value} `)})`,
      );
    }
  }
  // Position counts siblings of the same name, so it comes before the other predicates (as :nth-of-type does).
  const [nameTest, ...rest] = html ? ["", ...predicates] : predicates;
  const head = html ? name : `*[${nameTest}]`;
  return head + position + rest.map((predicate) => `[${predicate}]`).join("");
}

/** Whether XPath name tests match this document's HTML elements (true for text/html documents). */
export function isHtmlDocument(doc: Document): boolean {
  return doc.contentType !== "application/xhtml+xml" && doc.contentType !== "application/xml";
}
