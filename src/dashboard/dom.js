// Small DOM helpers, and drawing Vega-Lite specs with the vega and vega-lite builds the page loads.

/** An element with attributes (`class`, `data-*`, ...) and children (nodes or text; null and false are skipped). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes))
    if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  for (const child of children.flat())
    if (child !== null && child !== undefined && child !== false)
      node.append(child instanceof Node ? child : String(child));
  return node;
}

/** A number as text: `digits` decimals, or a dash for a missing value. */
export function fixed(value, digits = 4) {
  return value === null || value === undefined ? '–' : value.toFixed(digits);
}

/** A long id (a run's UUID, a checkpoint's sha256) cut to its first characters; the whole id goes in a tooltip. */
export function shortId(id) {
  const keep = id.startsWith('sha256:') ? 15 : 8;
  return id.length > keep + 8 ? el('span', { title: id }, `${id.slice(0, keep)}…`) : id;
}

/**
 * Draws a Vega-Lite spec as SVG into a new element; a click on a mark whose datum names a run opens that run's page.
 */
export function chart(spec, className) {
  const container = el('div', { class: `chart ${className}` });
  const view = new globalThis.vega.View(globalThis.vega.parse(globalThis.vegaLite.compile(spec).spec), {
    renderer: 'svg',
    container,
    hover: true,
  });
  view.addEventListener('click', (_event, item) => {
    const run = item?.datum?.run;
    if (typeof run === 'string') location.hash = `#/run/${encodeURIComponent(run)}`;
  });
  view.runAsync().then(() => container.setAttribute('data-drawn', 'true'));
  return container;
}
