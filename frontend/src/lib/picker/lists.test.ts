import { beforeEach, describe, expect, it } from "vitest";

import { fieldSelector, findSimilar } from "./lists";
import { evaluateXpath, select } from "./selectors";

function page(html: string): void {
  document.body.innerHTML = html;
}

function pick(query: string): Element {
  const element = document.querySelector(query);
  if (!element) throw new Error(`fixture has no ${query}`);
  return element;
}

const texts = (elements: Element[]) => elements.map((element) => element.textContent?.trim());

function cardGrid(count: number): string {
  return Array.from(
    { length: count },
    (_, i) => `<article class="product-card css-q${i}x" data-product-id="${i + 1}">
      <h2 class="product-title"><a class="product-link" href="/p/${i + 1}">Product ${i + 1}</a></h2>
      <span class="price">€${i + 1}.00</span><span class="stock">In stock</span></article>`,
  ).join("");
}

beforeEach(() => page(""));

describe("findSimilar", () => {
  it("finds every title of a card grid from one title", () => {
    page(`<header><a href="/">Home</a></header><div class="products">${cardGrid(12)}</div>`);
    const list = findSimilar(pick('[data-product-id="5"] a'));
    const match = list.current;
    expect(match.count).toBe(12);
    expect(texts(match.elements)).toEqual(Array.from({ length: 12 }, (_, i) => `Product ${i + 1}`));
    expect(match.css).toBe("[data-product-id] a");
    expect(match.css).not.toContain("css-");
    expect(evaluateXpath(match.xpath, document)).toEqual(match.elements);
    expect(match.fieldCss).toBe("a");
  });

  it("finds the prices of the grid by their class", () => {
    page(`<div class="products">${cardGrid(6)}</div>`);
    const match = findSimilar(pick('[data-product-id="2"] .price')).current;
    expect(texts(match.elements)).toEqual(["€1.00", "€2.00", "€3.00", "€4.00", "€5.00", "€6.00"]);
    expect(evaluateXpath(match.xpath, document)).toEqual(match.elements);
  });

  it("reaches through nested wrappers to the repeated item", () => {
    const items = Array.from(
      { length: 5 },
      (_, i) =>
        `<li class="tile"><div class="tile__body"><div><h3><a href="/p/${i}">T${i}</a></h3></div><p>€${i}</p></div></li>`,
    ).join("");
    page(
      `<nav><ul><li><a href="/">Home</a></li><li><a href="/x">X</a></li></ul></nav><ul class="grid">${items}</ul>`,
    );
    const match = findSimilar(pick(".grid li:nth-of-type(3) a")).current;
    expect(texts(match.elements)).toEqual(["T0", "T1", "T2", "T3", "T4"]);
    expect(select(match.css, document)).toEqual(match.elements);
    expect(evaluateXpath(match.xpath, document)).toEqual(match.elements);
  });

  it("turns a table cell into its column and widens/narrows between row, column and the cell", () => {
    const rows = Array.from(
      { length: 6 },
      (_, i) => `<tr><td>Item ${i}</td><td>${i}.50</td><td>${i}</td></tr>`,
    ).join("");
    page(
      `<table id="top"><thead><tr><th>Name</th><th>Price</th><th>Qty</th></tr></thead><tbody>${rows}</tbody></table>`,
    );
    const list = findSimilar(pick("tbody tr:nth-of-type(2) td:nth-of-type(2)"));
    expect(texts(list.current.elements)).toEqual(["0.50", "1.50", "2.50", "3.50", "4.50", "5.50"]);
    expect(list.canWiden).toBe(false);
    const row = list.narrow();
    expect(row && texts(row.elements)).toEqual(["Item 1", "1.50", "1"]);
    expect(list.narrow()?.count).toBe(1);
    expect(list.narrow()).toBeNull();
    expect(list.widen()?.count).toBe(3);
  });

  it("widens from one grid section to every section", () => {
    page(`<section class="deals"><div class="row">${cardGrid(3)}</div></section>
      <section class="new"><div class="row">${cardGrid(4)}</div></section>`);
    const list = findSimilar(pick(".deals [data-product-id='2'] .price"));
    expect(list.current.count).toBe(7);
    expect(list.narrow()?.count).toBe(3);
  });

  it("finds a list whose items carry only hashed classes, without using them", () => {
    const items = Array.from(
      { length: 4 },
      (_, i) => `<div class="sc-b${i} kXyZa${i}"><div class="css-q${i}w"><h3>Name ${i}</h3></div></div>`,
    ).join("");
    page(
      `<h3>Other heading</h3><section class="sc-grid1 GridA"><div class="results">${items}</div></section>`,
    );
    const match = findSimilar(pick(".results > div:nth-of-type(2) h3")).current;
    expect(texts(match.elements)).toEqual(["Name 0", "Name 1", "Name 2", "Name 3"]);
    expect(match.css).not.toMatch(/sc-|css-|kXyZ/);
    expect(evaluateXpath(match.xpath, document)).toEqual(match.elements);
  });

  it("offers the element alone when it has no similar siblings", () => {
    page(`<main><h1>Title</h1><p>Text</p></main>`);
    const list = findSimilar(pick("h1"));
    expect(list.current.count).toBe(1);
    expect(list.canWiden).toBe(false);
  });

  it("ignores a state class that only one item carries", () => {
    page(
      `<ul class="menu"><li class="menu__item">A</li><li class="menu__item active">B</li><li class="menu__item">C</li></ul>`,
    );
    expect(texts(findSimilar(pick(".active")).current.elements)).toEqual(["A", "B", "C"]);
  });
});

describe("fields inside items", () => {
  it("writes relative selectors that hold in every item", () => {
    page(`<div class="products">${cardGrid(8)}</div>`);
    const list = findSimilar(pick('[data-product-id="3"]'));
    expect(list.current.count).toBe(8);
    const field = list.field(pick('[data-product-id="3"] .stock'));
    expect(field).not.toBeNull();
    expect(field?.matchedItems).toBe(8);
    for (const item of list.items()) {
      expect(select(field?.css ?? "", item)).toHaveLength(1);
      expect(evaluateXpath(field?.xpath ?? "", item)).toEqual(select(field?.css ?? "", item));
    }
    expect(field?.sample.value).toBe("In stock");
  });

  it("avoids values that only one item has", () => {
    page(
      `<ul>${[1, 2, 3].map((i) => `<li class="row"><b data-sku="SKU${i}">S${i}</b><i>${i}</i></li>`).join("")}</ul>`,
    );
    const items = Array.from(document.querySelectorAll("li"));
    const field = fieldSelector(pick('[data-sku="SKU2"]'), items);
    expect(field.css).not.toContain("SKU2");
    expect(field.matchedItems).toBe(3);
  });

  it("returns null for an element outside every item", () => {
    page(`<p id="intro">x</p><div class="products">${cardGrid(3)}</div>`);
    const list = findSimilar(pick('[data-product-id="1"]'));
    expect(list.field(pick("#intro"))).toBeNull();
  });
});
