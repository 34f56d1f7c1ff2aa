// Finds the shortest unique, redesign-proof CSS selector (and its XPath twin) for a picked element.

import { type Part, isHtmlDocument, partCss, partXpath, partsOf, positionalPart } from "./parts";

export { classStability, isStableClass, isStableId } from "./stability";

/** Where a selector is evaluated: a document, a shadow root, or an element (selectors relative to it). */
export type Scope = Document | ShadowRoot | Element;

export interface SelectorOptions {
  /** The document or shadow root to be unique in; default: the element's own root node. */
  root?: Document | ShadowRoot;
  /** Make the selector relative to this ancestor (a list item): unique among its descendants. */
  relativeTo?: Element;
}

export interface Step {
  part: Part;
  /** How this step relates to the previous one: any descendant or a direct child. */
  combinator: " " | ">";
}

const ELEMENT_PARTS = 6;
const ANCESTOR_PARTS = 4;
const ANCESTOR_DEPTH = 4;
const STEP_COST = 0.25;

function scopeOf(element: Element, options: SelectorOptions): Scope {
  if (options.relativeTo) return options.relativeTo;
  if (options.root) return options.root;
  const root = element.getRootNode();
  return root instanceof Element ? root : (root as Document | ShadowRoot);
}

function isElementScope(scope: Scope): scope is Element {
  return (scope as Node).nodeType === 1;
}

/** The elements a selector picks in a scope; an invalid selector picks nothing. */
export function select(selector: string, scope: Scope): Element[] {
  try {
    if (!isElementScope(scope)) return Array.from(scope.querySelectorAll(selector));
    // Relative selectors must mean the same read either way: `item.querySelectorAll(s)` lets the first
    // compound match ancestors of the item, `:scope s` does not.
    const scoped = Array.from(scope.querySelectorAll(`:scope ${selector}`));
    const loose = scope.querySelectorAll(selector);
    if (loose.length !== scoped.length) return [];
    return scoped;
  } catch {
    return [];
  }
}

/** How many elements a selector matches in a scope (0 for an invalid selector). */
export function matchCount(selector: string, scope: Scope = document): number {
  return select(selector, scope).length;
}

export function stepsCss(steps: Step[]): string {
  return steps
    .map((step, index) => (index === 0 ? "" : step.combinator === ">" ? " > " : " ") + partCss(step.part))
    .join("");
}

function combinePairs(parts: Part[]): Part[] {
  const pairs: Part[] = [];
  const top = parts.slice(0, 4);
  for (let i = 0; i < top.length; i++) {
    for (let j = i + 1; j < top.length; j++) {
      pairs.push({
        conditions: [...top[i].conditions, ...top[j].conditions],
        penalty: top[i].penalty + top[j].penalty,
      });
    }
  }
  return pairs;
}

function ancestorsWithin(element: Element, scope: Scope): Element[] {
  const found: Element[] = [];
  for (
    let node = element.parentElement;
    node && node !== scope && found.length < ANCESTOR_DEPTH;
    node = node.parentElement
  ) {
    found.push(node);
  }
  return found;
}

/** Candidate selectors (as steps), cheapest first: the element alone, then anchored by one or two ancestors. */
export function candidatePaths(element: Element, scope: Scope): Step[][] {
  const own = partsOf(element).slice(0, ELEMENT_PARTS);
  const elementParts = [...own, ...combinePairs(own)];
  const levels = ancestorsWithin(element, scope).map((ancestor) =>
    partsOf(ancestor).slice(0, ANCESTOR_PARTS),
  );
  const paths: { steps: Step[]; penalty: number; length: number }[] = [];
  const push = (anchors: Part[], last: Part) => {
    const steps: Step[] = [...anchors, last].map((part) => ({ part, combinator: " " }));
    const penalty = steps.reduce((sum, step) => sum + step.part.penalty, 0) + STEP_COST * (steps.length - 1);
    paths.push({ steps, penalty, length: stepsCss(steps).length });
  };
  for (const last of elementParts) {
    push([], last);
    levels.forEach((near, i) => {
      for (const a of near) {
        push([a], last);
        for (const far of levels.slice(i + 1)) for (const b of far) push([b, a], last);
      }
    });
  }
  paths.sort((a, b) => a.penalty - b.penalty || a.length - b.length);
  return paths.map((path) => path.steps);
}

function isOnly(selector: string, element: Element, scope: Scope): boolean {
  const found = select(selector, scope);
  return found.length === 1 && found[0] === element;
}

/** A path of `:nth-of-type` steps up to the nearest ancestor with a unique robust part: always unique. */
function positionalPath(element: Element, scope: Scope): Step[] {
  const steps: Step[] = [{ part: positionalPart(element), combinator: ">" }];
  for (let node = element.parentElement; node && node !== scope; node = node.parentElement) {
    const anchor = partsOf(node).find((part) => isOnly(partCss(part), node, scope));
    if (anchor) return [{ part: anchor, combinator: " " }, ...steps];
    steps.unshift({ part: positionalPart(node), combinator: ">" });
  }
  return steps;
}

/** The selector steps for an element: the cheapest verified-unique candidate, else a positional path. */
export function selectorSteps(element: Element, options: SelectorOptions = {}): Step[] {
  const scope = scopeOf(element, options);
  for (const steps of candidatePaths(element, scope)) {
    if (isOnly(stepsCss(steps), element, scope)) return steps;
  }
  return positionalPath(element, scope);
}

/** The shortest unique CSS selector for an element, preferring hooks that survive a redesign. */
export function cssSelector(element: Element, options: SelectorOptions = {}): string {
  const scope = scopeOf(element, options);
  const css = stepsCss(selectorSteps(element, options));
  if (isElementScope(scope) && !isOnly(css, element, scope)) return `:scope ${css}`;
  return css;
}

/** XPath of the same steps (`//…` from the document, `.//…` relative to `relativeTo`). */
export function stepsXpath(steps: Step[], element: Element, relative: boolean): string {
  const html = isHtmlDocument(element.ownerDocument);
  const body = steps
    .map((step, index) => {
      const axis = index === 0 ? "//" : step.combinator === ">" ? "/" : "//";
      return axis + partXpath(step.part, html);
    })
    .join("");
  return relative ? `.${body}` : body;
}

/** The elements an XPath selects from a context node (nothing when it is invalid or XPath is unavailable). */
export function evaluateXpath(expression: string, context: Node): Element[] {
  const doc = context.nodeType === 9 ? (context as Document) : context.ownerDocument;
  if (!doc || typeof doc.evaluate !== "function") return [];
  try {
    const result = doc.evaluate(expression, context, null, 7 /* ORDERED_NODE_SNAPSHOT_TYPE */, null);
    const found: Element[] = [];
    for (let i = 0; i < result.snapshotLength; i++) {
      const node = result.snapshotItem(i);
      if (node && node.nodeType === 1) found.push(node as Element);
    }
    return found;
  } catch {
    return [];
  }
}

/**
 * An XPath selecting exactly the element (relative to `relativeTo` when given). Inside a shadow root it is
 * relative to the root (`.//…`): browsers refuse a shadow root as XPath context, so it cannot be checked there.
 */
export function xpath(element: Element, options: SelectorOptions = {}): string {
  const context = options.relativeTo ?? options.root ?? element.getRootNode();
  // Inside a shadow root `//` would start from the document, so shadow content is addressed relatively.
  const relative = context.nodeType !== 9;
  const expression = stepsXpath(selectorSteps(element, options), element, relative);
  if (context.nodeType === 11) return expression;
  const found = evaluateXpath(expression, context);
  if (found.length === 1 && found[0] === element) return expression;
  return absoluteXpath(element, options.relativeTo);
}

/** `/html/body/div[2]/…` (or `./div[1]/…` under an ancestor): positional, used when nothing shorter holds. */
export function absoluteXpath(element: Element, ancestor?: Element): string {
  const steps: string[] = [];
  const html = isHtmlDocument(element.ownerDocument);
  for (let node: Element | null = element; node && node !== ancestor; node = node.parentElement) {
    steps.unshift(partXpath(positionalPart(node), html));
  }
  const relative = ancestor !== undefined || element.getRootNode().nodeType !== 9;
  return (relative ? "./" : "/") + steps.join("/");
}

export { sampleValue, type Sample } from "./sample";
