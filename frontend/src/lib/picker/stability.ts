// Judges whether a class name, id or attribute is a hook a site keeps across builds and redesigns.

/** Prefixes of ids that UI libraries and frameworks number or hash per render. */
const GENERATED_ID_PREFIXES = [
  "ember",
  "ext-gen",
  "ext-comp",
  "yui_",
  "mui-",
  "headlessui-",
  "radix-",
  "react-select-",
  "downshift-",
  "rc-",
  "__gwt",
  "gwt-uid",
  "uid-",
  "ui-id-",
  "jss",
  "tippy-",
];

/** Class names that describe a passing state, not the element. */
const STATE_CLASS =
  /^(active|selected|current|open|opened|closed|hover|hovered|focus|focused|visible|hidden|show|shown|collapsed|expanded|disabled|enabled|loading|loaded|checked|dirty|pristine|touched|valid|invalid|odd|even|first|last)$|^(is|has|ng|v|js-is|was)-|^ng-|^(fade|animate|animated)/i;

/** Utility-first class names (Tailwind, Bootstrap helpers): they describe the look, which a redesign changes. */
const UTILITY_CLASS =
  /^-?(m|p)[trblxyse]?-|^-?(w|h|min-w|max-w|min-h|max-h|size|text|bg|border|rounded|gap|space-[xy]|items|justify|content|self|place|font|leading|tracking|shadow|opacity|z|top|left|right|bottom|inset|col|row|order|overflow|cursor|transition|duration|ease|delay|ring|outline|fill|stroke|object|aspect|basis|grow|shrink|translate|rotate|scale|skew|origin|whitespace|break|line-clamp|decoration|underline-offset|divide|from|via|to|d|align|float|clearfix|g|gx|gy|fs|fw|lh|ms|me|ps|pe)-|^(flex|grid|block|inline|inline-block|inline-flex|inline-grid|contents|table|absolute|relative|fixed|sticky|static|underline|uppercase|lowercase|capitalize|italic|truncate|sr-only|antialiased|container|mx-auto|grow|shrink|invisible|clearfix|visually-hidden)$/;

/** A word-like piece of a name that looks random: digits mixed into letters, or scattered capitals. */
function looksRandom(segment: string): boolean {
  if (segment.length < 4) return /\d/.test(segment) && /[a-z]/i.test(segment) && /^\d|\d[a-z]/i.test(segment);
  const digits = (segment.match(/\d/g) ?? []).length;
  const letters = (segment.match(/[a-z]/gi) ?? []).length;
  if (digits > 0 && letters > 0 && !/^[a-z]+\d{1,2}$/i.test(segment)) return true;
  const capitals = (segment.match(/[A-Z]/g) ?? []).length;
  if (segment.length <= 10 && capitals >= 2 && capitals / segment.length >= 0.25 && /[a-z]/.test(segment)) {
    return !/^[A-Z][a-z]+[A-Z][a-z]+$/.test(segment); // "ProductCard" is a name, "fKjHmE" is a hash
  }
  if (letters >= 5 && !/[aeiouy]/i.test(segment)) return true; // "bxqzt": no word has no vowel
  return false;
}

/**
 * 0 when a class name is generated or purely presentational, up to 1 for a meaningful, hand-written name.
 * BEM (`block__element--modifier`) and plain words score high; CSS-modules (`Card_title__3xK9a`, `_abc12`),
 * emotion (`css-1x2y3z`), styled-components (`sc-…`, `fKjHmE`), JSS (`makeStyles-root-12`) and long digit
 * runs score 0; state and utility classes score low.
 */
export function classStability(name: string): number {
  if (!name || name.length > 60) return 0;
  if (/^(css|emotion|jss|sc|svelte|astro|tw)-|^_|^[a-z]{1,3}\d|\d{4,}|[:[\]/@!%#.()]/i.test(name)) return 0;
  if (/^[a-z0-9]{6,}$/i.test(name) && /\d/.test(name)) return 0;
  const segments = name.split(/[-_]+/).filter(Boolean);
  if (segments.length === 0 || segments.some(looksRandom)) return 0;
  if (/-\d+$/.test(name) && segments.length >= 2 && /[A-Z]/.test(name)) return 0; // makeStyles-root-12
  if (UTILITY_CLASS.test(name)) return 0.2;
  if (STATE_CLASS.test(name)) return 0.1;
  if (/\d/.test(name)) return 0.6;
  return name.length <= 2 ? 0.5 : 1;
}

export function isStableClass(name: string): boolean {
  return classStability(name) >= 0.5;
}

/** Whether an id is written by a person (`#reviews`, `main-nav`) rather than numbered or hashed by a library. */
export function isStableId(id: string): boolean {
  if (!id || id.length > 80 || /\s/.test(id)) return false;
  if (/[:«»]/.test(id)) return false; // React useId (":r1:", "«r1»")
  if (/^\d/.test(id) || /\d{3,}/.test(id)) return false;
  if (/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}/i.test(id)) return false; // UUID
  const lower = id.toLowerCase();
  if (GENERATED_ID_PREFIXES.some((prefix) => lower.startsWith(prefix))) return false;
  return !id
    .split(/[-_.]+/)
    .filter(Boolean)
    .some(looksRandom);
}

/** Test hooks: the most deliberate stable attributes a page can have. */
export const TEST_ATTRIBUTES = ["data-testid", "data-test-id", "data-test", "data-qa", "data-cy", "data-e2e"];

/** Attributes that name what an element is or does; they survive restyling. */
export const SEMANTIC_ATTRIBUTES = [
  "itemprop",
  "name",
  "aria-label",
  "role",
  "rel",
  "for",
  "type",
  "placeholder",
];

/** data-* attributes written by frameworks or state machines, never by the site for its content. */
const NOISY_DATA =
  /^data-(v-|reactid|reactroot|react-|emotion|styled|radix-|headlessui|state|orientation|side|align|active|selected|open|focus|hover|visible|index|key|uid|rbd-|floating-ui|popper|aos|scrapeflow)/;

export function isMeaningfulDataAttribute(name: string): boolean {
  return name.startsWith("data-") && !NOISY_DATA.test(name) && !TEST_ATTRIBUTES.includes(name);
}

/** Whether an attribute value can appear in a selector: short, printable, not a hash or serialized blob. */
export function isUsableValue(value: string): boolean {
  if (!value || value.length > 80 || /[\n{}<>]/.test(value)) return false;
  if (/^\d+$/.test(value)) return true; // record ids: stable for this element across restyling
  return !value
    .split(/[\s\-_/.:]+/)
    .filter(Boolean)
    .some((part) => part.length >= 6 && looksRandom(part));
}
