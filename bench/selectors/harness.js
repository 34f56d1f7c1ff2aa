// In-page half of bench/selectors: finds the elements a pick means (by their text) and computes and checks the
// selectors of both sides. Loaded after the two bundles (window.ScrapeFlowPicker, window.medvFinder).
(() => {
  const norm = (text) => (text || "").replace(/\s+/g, " ").trim();

  /** Elements whose whole text is `text` and none of whose children's is: what a person clicks on. */
  function innermost(text) {
    const found = [];
    for (const element of document.body.querySelectorAll("*")) {
      if (norm(element.textContent) !== text) continue;
      if (Array.from(element.children).some((child) => norm(child.textContent) === text)) continue;
      found.push(element);
    }
    return found;
  }

  function depth(element) {
    let count = 0;
    for (let node = element; node; node = node.parentElement) count++;
    return count;
  }

  /** Steps from `element` up to the lowest ancestor it shares with `other`. */
  function distance(element, other) {
    let ancestor = element;
    while (ancestor && !ancestor.contains(other)) ancestor = ancestor.parentElement;
    return ancestor ? depth(element) - depth(ancestor) : Infinity;
  }

  /** The one element a target means: its text, the text of an element close to it, and a page-specific hint. */
  function locate(target, hint) {
    let found = innermost(target.text);
    if (hint) found = found.filter((element) => element.closest(hint));
    if (target.near && found.length > 1) {
      const anchors = innermost(target.near);
      const scored = found.map((element) => ({
        element,
        score: Math.min(...anchors.map((anchor) => distance(element, anchor))),
      }));
      const best = Math.min(...scored.map((entry) => entry.score));
      found = scored.filter((entry) => entry.score === best).map((entry) => entry.element);
    }
    if (found.length !== 1) throw new Error(`${found.length} elements for ${JSON.stringify(target)} (hint ${hint})`);
    return found[0];
  }

  function expected(pick, theme) {
    return pick.targets.map((target) => locate(target, pick.hints[theme]));
  }

  function sameElements(a, b) {
    return a.length === b.length && a.every((element, index) => element === b[index]);
  }

  function selectCss(css) {
    try {
      return Array.from(document.querySelectorAll(css));
    } catch {
      return [];
    }
  }

  function selectXpath(expression) {
    const found = [];
    try {
      const result = document.evaluate(expression, document, null, XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null);
      for (let i = 0; i < result.snapshotLength; i++) found.push(result.snapshotItem(i));
    } catch {
      return [];
    }
    return found;
  }

  /** finder has no list mode: its selector for the anchor item with positions removed (all, then one at a time). */
  function finderList(anchor, want) {
    const single = window.medvFinder(anchor);
    const positions = single.match(/:nth-(child|of-type)\(\d+\)/g) || [];
    const variants = [single.replace(/:nth-(child|of-type)\(\d+\)/g, "")];
    for (const position of positions) variants.push(single.replace(position, ""));
    const fitting = variants.find((css) => sameElements(selectCss(css), want));
    return { css: fitting ?? variants[0], single, adjusted: fitting !== undefined && fitting !== variants[0] };
  }

  /** Our list: the current generalisation, or the widen/narrow step a person would move to to get `want`. */
  function oursList(anchor, want) {
    const list = window.ScrapeFlowPicker.findSimilar(anchor);
    const index = list.steps.findIndex((step) => sameElements(step.elements, want));
    const current = list.steps.indexOf(list.current);
    const step = index >= 0 ? list.steps[index] : list.current;
    return { css: step.css, xpath: step.xpath, moves: index >= 0 ? Math.abs(index - current) : null };
  }

  window.benchSelectors = {
    /** Both sides' selectors for a pick on this (classic) page, and whether each matches the intended elements. */
    pick(pick) {
      const want = expected(pick, "classic");
      const anchor = want[pick.anchor ?? 0];
      let ours;
      let finder;
      const started = performance.now();
      if (pick.kind === "list") {
        ours = oursList(anchor, want);
      } else {
        ours = { css: window.ScrapeFlowPicker.cssSelector(anchor), xpath: window.ScrapeFlowPicker.xpath(anchor) };
      }
      const oursMs = performance.now() - started;
      const finderStarted = performance.now();
      finder = pick.kind === "list" ? finderList(anchor, want) : { css: window.medvFinder(anchor) };
      const finderMs = performance.now() - finderStarted;
      return {
        count: want.length,
        ours: { ...ours, valid: sameElements(selectCss(ours.css), want), ms: oursMs },
        finder: { ...finder, valid: sameElements(selectCss(finder.css), want), ms: finderMs },
        xpathValid: sameElements(selectXpath(ours.xpath), want),
      };
    },

    /** Whether selectors still match exactly the intended elements on this page (in order). */
    check(pick, theme, selectors) {
      const want = expected(pick, theme);
      const result = {};
      for (const [name, selector] of Object.entries(selectors)) {
        const got = name === "xpath" ? selectXpath(selector) : selectCss(selector);
        result[name] = { count: got.length, same: sameElements(got, want) };
      }
      return { count: want.length, ...result };
    },
  };
})();
