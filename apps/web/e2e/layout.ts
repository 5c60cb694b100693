/** What a layout check looks at: overflow of the page, and texts that must stay on one line. */
import type { Locator, Page } from 'playwright-core';

/** How far the page is wider than the window (0 when nothing sticks out sideways). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() =>
    Math.max(0, document.documentElement.scrollWidth - document.documentElement.clientWidth),
  );
}

/**
 * How many lines the first element matching `locator` takes: its content height over its line
 * height. A name squeezed to "#te / am- / sta / ndu / p" is 5.
 */
export function linesOf(locator: Locator): Promise<number> {
  return locator.first().evaluate((element) => {
    const style = getComputedStyle(element);
    const px = (value: string) => Number.parseFloat(value) || 0;
    const lineHeight =
      style.lineHeight === 'normal' ? 1.2 * px(style.fontSize) : px(style.lineHeight);
    const content =
      element.getBoundingClientRect().height -
      px(style.paddingTop) -
      px(style.paddingBottom) -
      px(style.borderTopWidth) -
      px(style.borderBottomWidth);
    return Math.round(content / lineHeight);
  });
}

/** Each of `texts` on one line, by name, so a failure says which. */
export async function lineCounts(texts: Record<string, Locator>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const [name, locator] of Object.entries(texts)) counts[name] = await linesOf(locator);
  return counts;
}

export function oneLineEach(texts: Record<string, Locator>): Record<string, number> {
  return Object.fromEntries(Object.keys(texts).map((name) => [name, 1]));
}

/** Whether the element's text is cut short ("…") rather than shown whole. */
export function isCutShort(locator: Locator): Promise<boolean> {
  return locator.first().evaluate((element) => element.scrollWidth > element.clientWidth);
}
