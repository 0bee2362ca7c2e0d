// What a reader meets on a rendered e-mail, measured in the browser: every visible text's
// contrast (WCAG 2.1, 1.4.3), words broken inside, button sizes, heading levels, images.
// Called by tests/readability.py as page.evaluate(SOURCE, inversion).
(inversion) => {
  const rgba = (css) => {
    const parts = css.match(/[\d.]+/g).map(Number);
    return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
  };
  const channel = (v) => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  };
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const ratio = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const over = (top, below) => top.slice(0, 3).map((c, i) => c * top[3] + below[i] * (1 - top[3]));
  const invert = (c) => [255 - c[0], 255 - c[1], 255 - c[2], c[3]];
  // "full": every colour inverted (the Gmail app on iOS); "partial": only light backgrounds
  // and dark text inverted (Outlook.com, the Gmail app on Android). Images are left alone.
  const adjust = (colour, isBackground) => {
    if (inversion === "full") return invert(colour);
    if (inversion === "partial") {
      const light = luminance(colour) > 0.4;
      return isBackground === light ? invert(colour) : colour;
    }
    return colour;
  };
  const background = (element) => {
    const layers = [];
    for (let e = element; e; e = e.parentElement) {
      const colour = rgba(getComputedStyle(e).backgroundColor);
      if (colour[3] > 0) layers.push(adjust(colour, true));
      if (colour[3] >= 1) break;
    }
    return layers.reverse().reduce((below, top) => over(top, below), [255, 255, 255]);
  };
  const visible = (node) => {
    const element = node.parentElement;
    if (!element || !element.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) {
      return false;
    }
    const range = document.createRange();
    range.selectNodeContents(node);
    return [...range.getClientRects()].some((r) => r.width > 0 && r.height > 0);
  };

  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.textContent.trim() && visible(node)) texts.push(node);
  }

  const lowContrast = [];
  for (const node of texts) {
    const style = getComputedStyle(node.parentElement);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const bg = background(node.parentElement);
    const fg = over(adjust(rgba(style.color), false), bg);
    const measured = ratio(fg, bg);
    const needed = large ? 3 : 4.5;
    if (measured < needed) {
      lowContrast.push(
        `${node.textContent.trim().slice(0, 40)} (${measured.toFixed(2)}:1, needs ${needed}:1)`
      );
    }
  }

  // A word broken inside shows on two lines; a break after a hyphen or slash is allowed.
  const brokenWords = [];
  for (const node of texts) {
    for (const match of node.textContent.matchAll(/[^\s\-\/–]+[\-\/–]?/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.bottom)));
      if (tops.size > 1) brokenWords.push(match[0]);
    }
  }

  const buttons = [...document.querySelectorAll("td.nl-button a")].map((a) => {
    const box = a.getBoundingClientRect();
    const style = getComputedStyle(a);
    const inner = box.height - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom)
      - parseFloat(style.borderTopWidth) - parseFloat(style.borderBottomWidth);
    return {
      label: a.textContent.trim(),
      height: box.height,
      lines: Math.round(inner / parseFloat(style.lineHeight)),
    };
  });

  const headings = [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")].map((h) => ({
    level: Number(h.tagName[1]),
    text: h.textContent.trim(),
  }));

  const images = [...document.querySelectorAll("img")].map((img) => ({
    src: img.getAttribute("src"),
    width: img.getAttribute("width"),
  }));

  return { texts: texts.length, lowContrast, brokenWords, buttons, headings, images };
}
