import { describe, expect, it } from "vitest";
import { addPick, editorUrl, type PagePick } from "./draft";

const PAGE = "https://shop.example/products?page=1";

function pick(overrides: Partial<PagePick>): PagePick {
  return {
    css: "h1",
    xpath: "//h1",
    count: 1,
    sample: { value: "Title", text: "Title" },
    fields: [],
    ...overrides,
  };
}

function decode(value: string): unknown {
  const base64 = value.replace(/-/g, "+").replace(/_/g, "/");
  const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

describe("draft bot from the popup's picks", () => {
  it("adds single picks as fields, reading the attribute only when it is the value", () => {
    let draft = addPick(null, PAGE, "single", pick({}));
    draft = addPick(
      draft,
      PAGE,
      "single",
      pick({
        css: "img.hero",
        sample: { value: "https://x/a.png", attribute: { name: "src", value: "https://x/a.png" } },
      }),
    );
    draft = addPick(
      draft,
      PAGE,
      "single",
      pick({
        css: "a.more",
        sample: { value: "More", text: "More", attribute: { name: "href", value: "https://x" } },
      }),
    );
    expect(draft.fields).toEqual([
      { name: "field_1", selector: "h1", sample: "Title" },
      { name: "field_2", selector: "img.hero", attribute: "src", sample: "https://x/a.png" },
      { name: "field_3", selector: "a.more", sample: "More" },
    ]);
  });

  it("starts over on another page", () => {
    const first = addPick(null, PAGE, "single", pick({}));
    const other = addPick(first, "https://other.example/", "single", pick({ css: ".name" }));
    expect(other.startUrl).toBe("https://other.example/");
    expect(other.fields.map((field) => field.selector)).toEqual([".name"]);
  });

  it("turns a list into an item selector and fields relative to it", () => {
    const list = addPick(
      null,
      PAGE,
      "list",
      pick({ css: ".card .price", count: 24, itemCss: ".card", fieldCss: ".price", sample: { value: "$5" } }),
    );
    expect(list).toEqual({
      startUrl: PAGE,
      mode: "list",
      itemSelector: ".card",
      fields: [{ name: "field_1", selector: ".price", sample: "$5" }],
    });
  });

  it("links to the editor with the start URL and base64url JSON fields", () => {
    const url = new URL(
      editorUrl("https://app.example", {
        startUrl: PAGE,
        mode: "list",
        itemSelector: ".card",
        fields: [{ name: "prix €", selector: ".price", attribute: "content", sample: "5" }],
      }),
    );
    expect(url.origin + url.pathname).toBe("https://app.example/editor/new");
    expect(url.searchParams.get("start_url")).toBe(PAGE);
    expect(url.searchParams.get("mode")).toBe("list");
    expect(url.searchParams.get("item_selector")).toBe(".card");
    const fields = url.searchParams.get("fields") ?? "";
    expect(fields).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decode(fields)).toEqual([{ name: "prix €", selector: ".price", attribute: "content" }]);
  });
});
