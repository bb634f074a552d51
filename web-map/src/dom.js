// Small DOM helpers shared by the page's modules. `byId` fails loudly, naming the element and
// the type it expected, so a renamed id in index.html shows up as a clear start-up error
// rather than as a `null` dereference somewhere later (and gives the type checker a real type).

/**
 * The element with this id, checked to be a `type` (e.g. `HTMLSelectElement`).
 * @template {HTMLElement} T
 * @param {string} id
 * @param {{ new (): T; name: string }} type
 * @returns {T}
 */
export function byId(id, type) {
  const node = document.getElementById(id);
  if (!(node instanceof type)) {
    throw new Error(`index.html: #${id} is ${node ? node.constructor.name : 'missing'}, expected a ${type.name}`);
  }
  return node;
}

/**
 * A new element: `attrs` sets `class`, `text` and attributes (`id`, `type`, `value`, `data-*`,
 * `aria-*`, …); `children` are appended, nulls skipped.
 * @param {string} tag
 * @param {Record<string, string>} [attrs]
 * @param {...(Node | string | null | undefined)} children
 * @returns {HTMLElement}
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value);
  }
  node.append(.../** @type {(Node | string)[]} */ (children.filter((c) => c !== null && c !== undefined)));
  return node;
}
