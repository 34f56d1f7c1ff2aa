import { beforeEach, describe, expect, it } from "vitest";

import {
  classStability,
  cssSelector,
  evaluateXpath,
  isStableId,
  matchCount,
  sampleValue,
  select,
  xpath,
} from "./selectors";

function page(html: string): void {
  document.body.innerHTML = html;
}

function pick(query: string): Element {
  const element = document.querySelector(query);
  if (!element) throw new Error(`fixture has no ${query}`);
  return element;
}

/** The selector must single out the element, and its XPath must select the very same element. */
function expectSound(element: Element, css: string): void {
  expect(select(css, document)).toEqual([element]);
  expect(evaluateXpath(xpath(element), document)).toEqual([element]);
}

beforeEach(() => page(""));

describe("class and id stability", () => {
  it.each([
    "css-1x2y3z",
    "sc-bdVaJa",
    "fKjHmE",
    "_abc12",
    "Card_title__3xK9a",
    "jss123",
    "makeStyles-root-12",
    "a1b2c3d4",
    "x9f8e7",
  ])("rejects the generated class %s", (name) => expect(classStability(name)).toBe(0));

  it.each(["product-card", "tile__body", "card--featured", "price", "ProductCard", "nav"])(
    "keeps the class %s",
    (name) => expect(classStability(name)).toBeGreaterThanOrEqual(0.5),
  );

  it("ranks utility and state classes below meaningful ones", () => {
    for (const name of ["mt-4", "flex", "text-sm", "hover:bg-blue-500", "w-1/2", "active", "is-open"]) {
      expect(classStability(name)).toBeLessThan(0.5);
    }
  });

  it.each([
    ":r1:",
    "«r5»",
    "ember1234",
    "radix-:r2:",
    "mui-38291",
    "headlessui-menu-button-3",
    "a8f5e2c1-1b2c-4d3e-9f00-123456789abc",
    "post-48213",
  ])("sees %s as a generated id", (id) => expect(isStableId(id)).toBe(false));

  it.each(["reviews", "main-nav", "searchForm", "top-rated"])("accepts the id %s", (id) =>
    expect(isStableId(id)).toBe(true),
  );
});

describe("cssSelector", () => {
  it("uses a stable id", () => {
    page(`<div><section id="reviews" class="css-1a2b3c"><h2>Reviews</h2></section></div>`);
    const element = pick("section");
    expect(cssSelector(element)).toBe("#reviews");
    expectSound(element, "#reviews");
  });

  it("avoids an id that looks generated and uses the test hook instead", () => {
    page(
      `<button id=":r3:" class="css-9zq8w1" data-testid="checkout">Buy</button><button id=":r4:">Other</button>`,
    );
    const element = pick("[data-testid]");
    expect(cssSelector(element)).toBe('[data-testid="checkout"]');
  });

  it("prefers data-* over classes, and aria/itemprop over classes", () => {
    page(`<div class="card" data-product-id="42">A</div><div class="card" data-product-id="43">B</div>
      <span class="title" itemprop="name">Lamp</span><span class="title">x</span>
      <button class="btn" aria-label="Close dialog">×</button><button class="btn">ok</button>`);
    expect(cssSelector(pick('[data-product-id="43"]'))).toBe('[data-product-id="43"]');
    document.body.insertAdjacentHTML(
      "beforeend",
      `<i class="row" data-id="7">a</i><i class="row" data-id="8">b</i>`,
    );
    expect(cssSelector(pick('[data-id="8"]'))).toBe('[data-id="8"]');
    expect(cssSelector(pick('[itemprop="name"]'))).toBe('[itemprop="name"]');
    expect(cssSelector(pick("[aria-label]"))).toBe('[aria-label="Close dialog"]');
  });

  it("never uses hashed class names even when they would be unique", () => {
    page(`<main><div class="sc-AxjAm kJHdsf"><p class="css-1x2y3z">One</p></div>
      <div class="sc-AxirZ bHwgsz"><p class="css-4k5l6m">Two</p></div></main>`);
    const element = pick(".css-4k5l6m");
    const css = cssSelector(element);
    expect(css).not.toMatch(/css-|sc-|bHwgsz/);
    expectSound(element, css);
  });

  it("skips utility soups for a meaningful class", () => {
    page(
      `<div class="flex items-center gap-2 px-4 price-tag text-sm">9.99</div><div class="flex items-center">x</div>`,
    );
    expect(cssSelector(pick(".price-tag"))).toBe(".price-tag");
  });

  it("anchors on a stable ancestor when the element has no hook of its own", () => {
    page(`<nav aria-label="Pagination"><a href="?p=1">1</a><a href="?p=2">2</a></nav>
      <div class="offer"><span>€ 12</span></div><div><span>other</span></div>`);
    const price = pick(".offer span");
    expect(cssSelector(price)).toBe(".offer span");
    expectSound(price, ".offer span");
  });

  it("uses semantic tags before a class under an anchor", () => {
    page(`<article data-product-id="7"><h2 class="title"><a class="title-link" href="/p/7">Seven</a></h2></article>
      <article data-product-id="8"><h2 class="title"><a class="title-link" href="/p/8">Eight</a></h2></article>`);
    const link = pick('[data-product-id="8"] a');
    expect(cssSelector(link)).toBe('[data-product-id="8"] a');
    expectSound(link, cssSelector(link));
  });

  it("falls back to :nth-of-type only when nothing else is unique", () => {
    page(`<div><p>a</p><p>b</p><p>c</p></div><div><p>d</p></div>`);
    const element = pick("div p:nth-of-type(2)");
    const css = cssSelector(element);
    expect(css).toContain(":nth-of-type(2)");
    expectSound(element, css);
  });

  it("is unique and XPath-equivalent for every element of a busy page", () => {
    page(`<header class="site-header"><a class="logo" href="/">Shop</a><nav><a href="/">Home</a><a href="/p">Products</a></nav></header>
      <main><h1>All</h1><ul class="grid">${Array.from(
        { length: 6 },
        (_, i) =>
          `<li class="tile"><div class="tile__body"><h3><a href="/p/${i}">P${i}</a></h3><p class="css-a${i}b">€${i}</p><p>stock</p></div></li>`,
      ).join("")}</ul><table><tr><td>x</td><td>y</td></tr><tr><td>z</td><td>w</td></tr></table></main>`);
    for (const element of Array.from(document.body.querySelectorAll("*"))) {
      const css = cssSelector(element);
      expectSound(element, css);
    }
  });

  it("escapes awkward values", () => {
    page(`<div data-testid='say "hi"'>q</div><div id="a.b">dot</div>`);
    expectSound(pick("[data-testid]"), cssSelector(pick("[data-testid]")));
    expect(select(cssSelector(pick('[id="a.b"]')), document)).toEqual([pick('[id="a.b"]')]);
  });
});

describe("more page shapes", () => {
  it("uses form names, roles and labels", () => {
    page(`<form class="css-x1y2z3"><input name="email" class="css-a1"><input name="password" type="password">
      <div role="alert">Wrong password</div><button type="submit" class="Button_root__x9Y8z">Sign in</button>
      <label for="remember">Remember me</label></form>`);
    expect(cssSelector(pick('[name="email"]'))).toBe('[name="email"]');
    expect(cssSelector(pick('[role="alert"]'))).toBe('[role="alert"]');
    expect(cssSelector(pick("button"))).toBe('[type="submit"]');
    expect(cssSelector(pick("label"))).toBe('[for="remember"]');
  });

  it("keeps BEM classes and skips the hashed ones next to them", () => {
    page(`<div class="card__price css-1q2w3e">9</div><div class="card__name css-4r5t6y">Lamp</div>`);
    expect(cssSelector(pick(".card__price"))).toBe(".card__price");
  });

  it("writes selectors for definition lists and table cells that match exactly one element", () => {
    page(`<dl><dt>SKU</dt><dd>A-1</dd><dt>Brand</dt><dd>Kobo</dd></dl>
      <table><tbody><tr><td>1</td><td>2</td></tr><tr><td>3</td><td>4</td></tr></tbody></table>`);
    for (const query of ["dd:nth-of-type(2)", "tr:nth-of-type(2) td:nth-of-type(1)", "dt:nth-of-type(2)"]) {
      const element = pick(query);
      expectSound(element, cssSelector(element));
    }
  });
});

describe("relative selectors", () => {
  it("is unique inside the item and means the same with or without :scope", () => {
    page(`<div class="row"><div class="card"><span class="name">A</span><span>1</span></div></div>`);
    const card = pick(".card");
    const css = cssSelector(pick(".name"), { relativeTo: card });
    expect(css).toBe(".name");
    expect(select(css, card)).toEqual([pick(".name")]);
    const second = pick(".card span:nth-of-type(2)");
    expect(select(cssSelector(second, { relativeTo: card }), card)).toEqual([second]);
    expect(evaluateXpath(xpath(second, { relativeTo: card }), card)).toEqual([second]);
  });
});

describe("SVG and shadow DOM", () => {
  it("selects SVG elements and writes XPath that matches them", () => {
    page(`<svg class="icon"><g><rect width="1"/><rect width="2" class="bar"/></g></svg><svg><rect/></svg>`);
    const bar = pick("rect.bar");
    expectSound(bar, cssSelector(bar));
    const plain = pick("svg:nth-of-type(2) rect");
    expectSound(plain, cssSelector(plain));
    expect(xpath(plain)).toContain("local-name(.)");
  });

  it("selects inside a shadow root, relative to it", () => {
    page(`<div id="host"></div>`);
    const shadow = pick("#host").attachShadow({ mode: "open" });
    shadow.innerHTML = `<ul><li class="opt">a</li><li class="opt" data-value="b">b</li></ul>`;
    const element = shadow.querySelector('[data-value="b"]') as Element;
    const css = cssSelector(element);
    expect(css).toBe('[data-value="b"]');
    expect(matchCount(css, shadow)).toBe(1);
    expect(matchCount(css, document)).toBe(0);
    expect(evaluateXpath(xpath(element), shadow)).toEqual([element]);
  });
});

describe("matchCount and sampleValue", () => {
  it("counts matches and treats invalid selectors as none", () => {
    page(`<p>a</p><p>b</p>`);
    expect(matchCount("p")).toBe(2);
    expect(matchCount("p[")).toBe(0);
  });

  it("reads text, links, images, meta and time values", () => {
    page(`<a href="/products/1.html">  Red
      lamp </a><img src="/i.png" alt="Lamp"><meta itemprop="price" content="12.50"><time datetime="2026-01-02">Jan 2</time><input value="7">`);
    expect(sampleValue(pick("a"))).toEqual({
      text: "Red lamp",
      value: "Red lamp",
      attribute: { name: "href", value: new URL("/products/1.html", document.baseURI).href },
    });
    expect(sampleValue(pick("img")).value).toBe(new URL("/i.png", document.baseURI).href);
    expect(sampleValue(pick("meta")).value).toBe("12.50");
    expect(sampleValue(pick("time"))).toMatchObject({ text: "Jan 2", value: "2026-01-02" });
    expect(sampleValue(pick("input")).value).toBe("7");
    expect(sampleValue(pick("a").firstChild as Node)).toEqual({ text: "Red lamp", value: "Red lamp" });
  });
});
