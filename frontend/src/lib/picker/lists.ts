// From one picked element, finds the list it belongs to (its similar siblings or cousins) and fields inside items.

import { type Part, tagOf } from "./parts";
import {
  type Scope,
  type Step,
  candidatePaths,
  cssSelector,
  select,
  selectorSteps,
  stepsCss,
  stepsXpath,
  xpath,
} from "./selectors";
import { sampleValue, type Sample } from "./sample";
import { classStability, isMeaningfulDataAttribute } from "./stability";

export interface ListMatch {
  /** Matches every element of the list. */
  css: string;
  xpath: string;
  count: number;
  elements: Element[];
  /** Matches the list items (the repeated containers); equal to `css` when the picked element is the item. */
  itemCss: string;
  /** Where the picked element sits inside an item, relative to it ("" when it is the item). */
  fieldCss: string;
}

export interface FieldMatch {
  /** Relative to an item: unique in the picked item and, wherever possible, in every other item. */
  css: string;
  /** Relative XPath (`.//…`) to evaluate with an item as context node. */
  xpath: string;
  /** Items in which the field selector finds exactly one element. */
  matchedItems: number;
  sample: Sample;
}

const MAX_LEVELS = 8;
const MAX_FIELD_CANDIDATES = 150;

/** What makes an element look like its siblings: stable classes, data-* names, role and itemprop. */
function features(element: Element): Map<string, Part> {
  const found = new Map<string, Part>();
  for (const name of Array.from(element.classList)) {
    const score = classStability(name);
    if (score >= 0.5)
      found.set(`.${name}`, { conditions: [{ kind: "class", value: name }], penalty: 4 + (1 - score) * 2 });
  }
  for (const attribute of Array.from(element.attributes)) {
    if (isMeaningfulDataAttribute(attribute.name)) {
      found.set(`[${attribute.name}]`, {
        conditions: [{ kind: "attr", name: attribute.name }],
        penalty: 3.2,
      });
    } else if (attribute.name === "role" || attribute.name === "itemprop" || attribute.name === "itemtype") {
      const part: Part = {
        conditions: [{ kind: "attr", name: attribute.name, value: attribute.value }],
        penalty: 3,
      };
      found.set(`[${attribute.name}=${attribute.value}]`, part);
    }
  }
  return found;
}

function similar(a: Element, b: Element): boolean {
  if (a.localName !== b.localName) return false;
  const fa = features(a);
  const fb = features(b);
  if (fa.size === 0 && fb.size === 0) return true;
  const shared = Array.from(fa.keys()).filter((key) => fb.has(key)).length;
  return shared / (fa.size + fb.size - shared) >= 0.5;
}

function sameSet(a: Element[], b: Element[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((element) => set.has(element));
}

/** A relative selector for `field` inside the item that holds it, chosen to hold in as many items as possible. */
export function fieldSteps(field: Element, items: Element[]): { steps: Step[]; matchedItems: number } {
  const item = items.find((candidate) => candidate !== field && candidate.contains(field));
  if (!item) return { steps: [], matchedItems: 0 };
  let best: { steps: Step[]; matchedItems: number } | null = null;
  const candidates = candidatePaths(field, item).slice(0, MAX_FIELD_CANDIDATES);
  candidates.push(selectorSteps(field, { relativeTo: item }));
  for (const steps of candidates) {
    const css = stepsCss(steps);
    const own = select(css, item);
    if (own.length !== 1 || own[0] !== field) continue;
    const matchedItems = items.filter((other) => select(css, other).length === 1).length;
    if (!best || matchedItems > best.matchedItems) best = { steps, matchedItems };
    if (matchedItems === items.length) break;
  }
  return best ?? { steps: selectorSteps(field, { relativeTo: item }), matchedItems: 1 };
}

/** A field picked inside a list item, as a selector relative to the item. */
export function fieldSelector(field: Element, items: Element[]): FieldMatch {
  const { steps, matchedItems } = fieldSteps(field, items);
  const css = stepsCss(steps);
  return { css, xpath: css ? stepsXpath(steps, field, true) : ".", matchedItems, sample: sampleValue(field) };
}

function rootOf(element: Element): Document | ShadowRoot {
  const root = element.getRootNode();
  return root.nodeType === 9 || root.nodeType === 11
    ? (root as Document | ShadowRoot)
    : element.ownerDocument;
}

/** The ways to generalise one level (item = an ancestor-or-self with similar siblings), narrow to wide. */
function levelMatches(element: Element, item: Element, siblings: Element[], root: Scope): ListMatch[] {
  const parent = item.parentElement;
  if (!parent) return [];
  const field =
    item === element ? { steps: [] as Step[], matchedItems: siblings.length } : fieldSteps(element, siblings);
  const common = Array.from(features(item).entries()).filter(([key]) =>
    siblings.every((s) => features(s).has(key)),
  );
  const tag: Part = { conditions: [{ kind: "tag", value: tagOf(item) }], penalty: 6 };
  const itemParts = [...common.map(([, part]) => part), tag].sort((a, b) => a.penalty - b.penalty);
  const parentSteps = selectorSteps(parent, { root: root as Document | ShadowRoot });
  const matches: ListMatch[] = [];
  const build = (itemSteps: Step[]): ListMatch | null => {
    const steps = [...itemSteps, ...field.steps];
    const css = stepsCss(steps);
    const elements = select(css, root);
    if (elements.length < 2 || !elements.includes(element)) return null;
    return {
      css,
      xpath: stepsXpath(steps, element, root.nodeType !== 9),
      count: elements.length,
      elements,
      itemCss: stepsCss(itemSteps),
      fieldCss: stepsCss(field.steps),
    };
  };
  // Scoped to this list's container: the part that picks exactly the similar siblings.
  for (const part of itemParts) {
    const itemSteps: Step[] = [...parentSteps, { part, combinator: ">" }];
    const picked = select(stepsCss(itemSteps), root);
    if (sameSet(picked, siblings) || (part === tag && picked.includes(item))) {
      const match = build(itemSteps);
      if (match) matches.push(match);
      break;
    }
  }
  // Page-wide: the same items wherever they repeat (other rows of a grid, other sections), by a distinctive part.
  const distinctive = itemParts.find((part) => part !== tag);
  if (distinctive) {
    const match = build([{ part: distinctive, combinator: " " }]);
    if (match) matches.push(match);
  }
  return matches;
}

/** A picked element's list: the generalisations found, and the current one, which widen()/narrow() move. */
export class ListSelection {
  readonly steps: ListMatch[];
  private index: number;

  constructor(readonly element: Element) {
    const root = rootOf(element);
    const single: ListMatch = {
      css: cssSelector(element, { root }),
      xpath: xpath(element, { root }),
      count: 1,
      elements: [element],
      itemCss: "",
      fieldCss: "",
    };
    const found: ListMatch[] = [single];
    let node: Element | null = element;
    for (
      let level = 0;
      node && node.parentElement && level < MAX_LEVELS;
      level++, node = node.parentElement
    ) {
      const siblings = Array.from(node.parentElement.children).filter((sibling) =>
        similar(node as Element, sibling),
      );
      if (siblings.length < 2) continue;
      for (const match of levelMatches(element, node, siblings, root)) {
        // The same elements by a shorter selector: fewer hooks to break.
        const same = found.findIndex((other) => sameSet(other.elements, match.elements));
        if (same < 0) found.push(match);
        else if (match.css.length < found[same].css.length) found[same] = match;
      }
    }
    this.steps = found.sort((a, b) => a.count - b.count);
    // The widest match that is still a list of one kind is what people mean by "all similar elements".
    this.index = this.steps.length - 1;
  }

  get current(): ListMatch {
    return this.steps[this.index];
  }

  get canWiden(): boolean {
    return this.index < this.steps.length - 1;
  }

  get canNarrow(): boolean {
    return this.index > 0;
  }

  /** Match more elements (the next larger generalisation); null when there is none. */
  widen(): ListMatch | null {
    if (!this.canWiden) return null;
    this.index++;
    return this.current;
  }

  /** Match fewer elements, down to the picked element alone; null when already there. */
  narrow(): ListMatch | null {
    if (!this.canNarrow) return null;
    this.index--;
    return this.current;
  }

  /** The current list's items (the repeated containers). */
  items(): Element[] {
    const { itemCss, elements } = this.current;
    if (!itemCss) return elements;
    return select(itemCss, rootOf(this.element));
  }

  /** A field inside an item, relative to the item; null when the element is not inside any item. */
  field(element: Element): FieldMatch | null {
    const items = this.items();
    if (!items.some((item) => item !== element && item.contains(element))) return null;
    return fieldSelector(element, items);
  }
}

/** Finds the list a picked element belongs to. */
export function findSimilar(element: Element): ListSelection {
  return new ListSelection(element);
}
