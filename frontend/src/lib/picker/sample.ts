// Reads the value a picked element stands for: its text, or the attribute that carries its data.

export interface Sample {
  /** The element's visible text, whitespace collapsed (absent when it has none). */
  text?: string;
  /** The attribute holding the value (a link's href, an image's src, a meta's content…). */
  attribute?: { name: string; value: string };
  /** What a scraper would extract: the attribute when it is the meaningful value, else the text. */
  value: string;
}

const MAX_TEXT = 300;

/** Attributes that carry an element's value, by tag, best first; `true` marks the attribute as the value. */
const VALUE_ATTRIBUTES: Record<string, [string, boolean][]> = {
  a: [["href", false]],
  area: [["href", false]],
  link: [["href", true]],
  img: [
    ["src", true],
    ["srcset", true],
  ],
  source: [
    ["src", true],
    ["srcset", true],
  ],
  video: [
    ["src", true],
    ["poster", true],
  ],
  audio: [["src", true]],
  iframe: [["src", true]],
  embed: [["src", true]],
  object: [["data", true]],
  meta: [["content", true]],
  time: [["datetime", true]],
  data: [["value", true]],
  meter: [["value", true]],
  progress: [["value", true]],
  input: [["value", true]],
  option: [["value", false]],
  abbr: [["title", false]],
};

export function normalizeText(text: string | null | undefined): string {
  const collapsed = (text ?? "").replace(/\s+/g, " ").trim();
  return collapsed.length > MAX_TEXT ? `${collapsed.slice(0, MAX_TEXT - 1)}…` : collapsed;
}

/** An attribute's value as the page means it: links and sources resolved against the page's address. */
function attributeValue(element: Element, name: string): string | undefined {
  // Tag checks rather than instanceof: elements from a same-origin frame belong to another realm.
  if (name === "value" && element.localName === "input") return (element as HTMLInputElement).value;
  const raw = element.getAttribute(name);
  if (raw === null) return undefined;
  if ((name === "href" || name === "src") && raw.trim()) {
    try {
      return new URL(raw.trim(), element.ownerDocument.baseURI).href;
    } catch {
      return raw;
    }
  }
  return raw;
}

/** The sample shown next to a picked element and sent with the selection result. */
export function sampleValue(node: Node): Sample {
  if (node.nodeType === 3) {
    const text = normalizeText(node.textContent);
    return text ? { text, value: text } : { value: "" };
  }
  const element = node as Element;
  const tag = element.localName?.toLowerCase() ?? "";
  let text = normalizeText(tag === "textarea" ? (element as HTMLTextAreaElement).value : element.textContent);
  if (tag === "select") text = normalizeText((element as HTMLSelectElement).selectedOptions[0]?.textContent);
  if (!text) text = normalizeText(element.getAttribute("aria-label") ?? element.getAttribute("alt"));
  for (const [name, isValue] of VALUE_ATTRIBUTES[tag] ?? []) {
    const value = attributeValue(element, name);
    if (value === undefined) continue;
    const attribute = { name, value };
    const sample: Sample = { attribute, value: isValue || !text ? value : text };
    if (text) sample.text = text;
    return sample;
  }
  return text ? { text, value: text } : { value: "" };
}
