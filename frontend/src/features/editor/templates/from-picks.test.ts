import { describe, expect, it } from "vitest";

import { pickedBot } from "./from-picks";

const encode = (value: unknown) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(value))))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

describe("pickedBot", () => {
  it("turns a picked list into Start → Extract with the fields", () => {
    const bot = pickedBot({
      start_url: "https://shop.example/products",
      mode: "list",
      item_selector: "article.card",
      fields: encode([
        { name: "title", selector: "h2" },
        { name: "link", selector: "a", attribute: "href" },
        { name: "prix €", selector: ".price" },
      ]),
    });
    expect(bot?.botName).toBe("shop.example");
    const [start, extract] = bot!.document.nodes;
    expect(start.data).toEqual({ urls: ["https://shop.example/products"] });
    expect(extract.type).toBe("extract");
    expect(extract.data).toEqual({
      mode: "list",
      item_selector: "article.card",
      fields: [
        { name: "title", selector: "h2", selector_type: "css", type: "text" },
        { name: "link", selector: "a", selector_type: "css", type: "url", attribute: "href" },
        { name: "prix €", selector: ".price", selector_type: "css", type: "text" },
      ],
    });
    expect(bot!.document.edges).toEqual([{ id: "edge-1", source: "start", target: extract.id }]);
  });

  it("reads single fields page-wide when no item selector came with them", () => {
    const bot = pickedBot({
      start_url: "https://a.example/",
      mode: "list",
      fields: encode([{ name: "h", selector: "h1" }]),
    });
    expect(bot!.document.nodes[1].data).toMatchObject({ mode: "single" });
  });

  it("starts a blank bot on the page when nothing was picked", () => {
    const bot = pickedBot({ start_url: "https://a.example/x" });
    expect(bot!.document.nodes.map((node) => node.type)).toEqual(["start"]);
  });

  it("ignores what it cannot trust", () => {
    expect(pickedBot({ start_url: "javascript:alert(1)" })).toBeNull();
    expect(pickedBot({ start_url: "https://a.example/", fields: "not base64 json" })).toBeNull();
    expect(
      pickedBot({ start_url: "https://a.example/", fields: encode([{ name: 1, selector: "h1" }]) }),
    ).toBeNull();
    expect(pickedBot({})).toBeNull();
  });
});
