/** Ready-made bots for `/editor/new?template=…`: real workflows in the backend's document format. */
import type { DocumentNode, NodeValues, WorkflowDocument } from "../types";

export type TemplateName = "product-list" | "article-list" | "table" | "monitor";

interface Template {
  title: string;
  description: string;
  botName: string;
  startUrl: string;
  steps: [string, NodeValues][];
}

const TEMPLATES: Record<TemplateName, Template> = {
  "product-list": {
    title: "Product list",
    description: "Every product on a category page and its next pages: name, price, link.",
    botName: "Product list",
    startUrl: "https://example.com/products",
    steps: [
      ["paginate", { next_selector: "a[rel=next]", max_pages: 10 }],
      [
        "extract",
        {
          mode: "list",
          item_selector: ".product-card",
          fields: [
            { name: "title", selector: "h2", selector_type: "css", type: "text" },
            { name: "price", selector: ".price", selector_type: "css", type: "price" },
            { name: "url", selector: "a", selector_type: "css", attribute: "href", type: "url" },
          ],
        },
      ],
    ],
  },
  "article-list": {
    title: "Article list",
    description: "Open each article of a blog or news list and read its title, date and text.",
    botName: "Articles",
    startUrl: "https://example.com/blog",
    steps: [
      ["follow", { selector: "article a", max_links: 50, same_site: true }],
      [
        "extract",
        {
          mode: "single",
          fields: [
            { name: "title", selector: "h1", selector_type: "css", type: "text" },
            {
              name: "published",
              selector: "time",
              selector_type: "css",
              attribute: "datetime",
              type: "date",
            },
            { name: "text", selector: "article", selector_type: "css", type: "text" },
          ],
        },
      ],
    ],
  },
  table: {
    title: "Table",
    description: "One row per line of an HTML table.",
    botName: "Table",
    startUrl: "https://example.com/table",
    steps: [
      [
        "extract",
        {
          mode: "list",
          item_selector: "table tbody tr",
          fields: [
            { name: "column_1", selector: "td:nth-child(1)", selector_type: "css", type: "text" },
            { name: "column_2", selector: "td:nth-child(2)", selector_type: "css", type: "text" },
            { name: "column_3", selector: "td:nth-child(3)", selector_type: "css", type: "text" },
          ],
        },
      ],
    ],
  },
  monitor: {
    title: "Monitor a page",
    description: "Read a page on every run and keep a row only when it changed.",
    botName: "Page monitor",
    startUrl: "https://example.com/",
    steps: [
      [
        "extract",
        {
          mode: "single",
          fields: [
            {
              name: "page",
              selector: "link[rel=canonical]",
              selector_type: "css",
              attribute: "href",
              type: "url",
            },
            { name: "title", selector: "h1", selector_type: "css", type: "text" },
            { name: "content", selector: "main", selector_type: "css", type: "text" },
          ],
        },
      ],
      ["dedupe", { keys: ["page"], emit: "changed" }],
    ],
  },
};

export const TEMPLATE_NAMES = Object.keys(TEMPLATES) as TemplateName[];

export function isTemplateName(value: string | null | undefined): value is TemplateName {
  return Boolean(value) && TEMPLATE_NAMES.includes(value as TemplateName);
}

export function templateInfo(name: TemplateName) {
  const { title, description, botName, startUrl } = TEMPLATES[name];
  return { title, description, botName, startUrl };
}

/** A straight line of steps from Start, laid out top to bottom. */
export function lineDocument(startUrl: string, steps: [string, NodeValues][]): WorkflowDocument {
  const all: [string, NodeValues][] = [["start", { urls: [startUrl] }], ...steps];
  const nodes: DocumentNode[] = all.map(([type, data], index) => ({
    id: index === 0 ? "start" : `${type}-${index}`,
    type,
    position: { x: 0, y: index * 150 },
    data: structuredClone(data),
  }));
  const edges = nodes.slice(1).map((node, index) => ({
    id: `edge-${index + 1}`,
    source: nodes[index].id,
    target: node.id,
  }));
  return { nodes, edges };
}

export function templateDocument(name: TemplateName | null, startUrl?: string): WorkflowDocument {
  const template = name ? TEMPLATES[name] : null;
  return lineDocument(startUrl ?? template?.startUrl ?? "https://example.com/", template?.steps ?? []);
}
