// Accessibility checks: axe-core against WCAG 2.0/2.1/2.2 A and AA, plus the
// page skeleton every Lyceum page promises (skip link, landmarks, main target).
//
// The app sends `Content-Security-Policy: default-src 'self'`, which would
// block an injected inline <script>; axe is instead evaluated through the
// DevTools protocol, which the page's policy does not govern, so the browser
// can enforce Lyceum's real policy while axe runs (see harness.mjs).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The WCAG 2.2 AA rule set named in SPEC.md ("zero axe-core violations on every page"). */
export const AXE_OPTIONS = {
  runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
};

/** Runs axe on the page's current document and fails with a readable list of violations. */
export async function expectNoAxeViolations(page) {
  const hasAxe = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!hasAxe) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async (options) => {
    const results = await window.axe.run(document, options);
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({
        target: n.target.map((t) => (Array.isArray(t) ? t.join(' >>> ') : t)).join(', '),
        html: n.html,
        summary: n.failureSummary,
      })),
    }));
  }, AXE_OPTIONS);
  if (violations.length > 0) {
    assert.fail(`axe found ${violations.length} accessibility violation(s) on ${page.url()}:\n${formatViolations(violations)}`);
  }
}

export function formatViolations(violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .map((n) => {
          const summary = (n.summary ?? '').split('\n').map((l) => `        ${l}`).join('\n');
          return `    - ${n.target}\n      ${truncate(n.html, 200)}\n${summary}`;
        })
        .join('\n');
      return `  * ${v.id} [${v.impact}] ${v.help}\n    ${v.helpUrl}\n${nodes}`;
    })
    .join('\n');
}

/**
 * The skeleton every page shares: a skip link to #main as the first focusable
 * element, a header with the main navigation, a focusable main, and a footer.
 */
export async function expectPageSkeleton(page) {
  const found = await page.evaluate(() => {
    const focusable = [
      ...document.querySelectorAll(
        'a[href], button, input:not([type="hidden"]), select, textarea, summary, [tabindex], [contenteditable="true"]',
      ),
    ].filter((el) => !el.disabled && el.tabIndex >= 0);
    const first = focusable[0];
    const main = document.querySelector('main');
    return {
      firstFocusable: first ? first.outerHTML.slice(0, 200) : null,
      firstIsSkipLink:
        !!first &&
        first.matches('a.skip-link') &&
        first.getAttribute('href') === '#main' &&
        first.textContent.trim() === 'Skip to main content',
      headerNav: !!document.querySelector('header nav[aria-label="Main"]'),
      mainCount: document.querySelectorAll('main').length,
      mainId: main?.id ?? null,
      mainTabindex: main?.getAttribute('tabindex') ?? null,
      footer: !!document.querySelector('footer'),
    };
  });
  const where = ` on ${page.url()}`;
  assert.ok(
    found.firstIsSkipLink,
    `the first focusable element should be <a class="skip-link" href="#main">Skip to main content</a>${where}; found ${found.firstFocusable}`,
  );
  assert.ok(found.headerNav, `expected <header> containing <nav aria-label="Main">${where}`);
  assert.equal(found.mainCount, 1, `expected exactly one <main>${where}`);
  assert.equal(found.mainId, 'main', `expected <main id="main">${where}`);
  assert.equal(found.mainTabindex, '-1', `expected <main tabindex="-1">${where}`);
  assert.ok(found.footer, `expected a <footer>${where}`);
}

/**
 * The focused element must show where focus is (WCAG 2.4.7): an outline that is
 * not `none` and not zero-width, or a box-shadow.
 */
export async function expectVisibleFocus(page) {
  const focus = await page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    const rect = el.getBoundingClientRect();
    return {
      html: el.outerHTML.slice(0, 200),
      outlineStyle: style.outlineStyle,
      outlineWidth: style.outlineWidth,
      boxShadow: style.boxShadow,
      width: rect.width,
      height: rect.height,
    };
  });
  assert.ok(focus, `expected an element to have focus on ${page.url()}`);
  const hasOutline = focus.outlineStyle !== 'none' && parseFloat(focus.outlineWidth) > 0;
  const hasShadow = focus.boxShadow !== 'none' && focus.boxShadow !== '';
  assert.ok(
    hasOutline || hasShadow,
    `focused element has no visible focus indicator (outline ${focus.outlineStyle} ${focus.outlineWidth}, ` +
      `box-shadow ${focus.boxShadow}): ${focus.html}`,
  );
  assert.ok(focus.width > 0 && focus.height > 0, `focused element is not rendered with a size: ${focus.html}`);
}

// More than any page has focus stops, twice over (Tab wraps around).
const MAX_TABS = 60;

/** What has focus now, in a form a test can compare. */
export function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return null;
    return {
      tag: el.tagName.toLowerCase(),
      id: el.id,
      name: el.getAttribute('name'),
      type: el.getAttribute('type'),
      value: el.getAttribute('value'),
      checked: el.checked === true,
      className: el.className,
      href: el.getAttribute('href'),
      text: (el.textContent ?? '').replace(/\s+/g, ' ').trim(),
      inMain: !!el.closest('main'),
      inNav: !!el.closest('header nav[aria-label="Main"]'),
    };
  });
}

/** Presses Tab until `wanted(focus)` holds, checking the focus indicator at every stop. */
export async function tabTo(page, description, wanted) {
  const seen = [];
  for (let i = 0; i < MAX_TABS; i++) {
    await page.keyboard.press('Tab');
    const focus = await focused(page);
    if (focus === null) continue; // Focus left the document and will wrap to the top.
    await expectVisibleFocus(page);
    if (wanted(focus)) return focus;
    seen.push(`${focus.tag}${focus.name ? `[name=${focus.name}]` : ''} "${focus.text.slice(0, 30)}"`);
  }
  assert.fail(`pressed Tab ${MAX_TABS} times on ${page.url()} without reaching ${description}; focus went to: ${seen.join(' → ')}`);
}

function truncate(text, max) {
  const oneLine = String(text ?? '').replace(/\s+/g, ' ');
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}
