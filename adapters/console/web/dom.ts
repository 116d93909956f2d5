// Building the page without HTML strings: every value becomes a text node or
// an attribute set through the DOM, so a device field can never become markup.
// (ESLint refuses innerHTML, insertAdjacentHTML and document.write in this folder.)
export type Child = Node | string | number | null | undefined | false;
type Attr = string | number | boolean | undefined | ((e: Event) => void);

export function h(tag: string, attrs: Record<string, Attr> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (k === 'value' && (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement))
      el.value = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, ...children);
  return el;
}

export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** A date-time as the page shows it (UTC, to the second), or a dash. */
export const when = (iso: string | null | undefined): string => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—');

/**
 * The device page's address. The id travels as a JSON string: a DeviceId is any
 * UTF-16 text, and a lone surrogate would turn into U+FFFD in a plain query value.
 */
export const deviceHref = (deviceId: string, mailbox?: string): string =>
  `#/device?${new URLSearchParams({ device: JSON.stringify(deviceId), ...(mailbox ? { mailbox } : {}) }).toString()}`;

/** The id a device page was opened for (`device` as JSON, or a plain `id` typed by a person). */
export function deviceIdOf(params: URLSearchParams): string {
  const json = params.get('device');
  if (json !== null) {
    try {
      const v: unknown = JSON.parse(json);
      if (typeof v === 'string') return v;
    } catch {
      /* a hand-edited address: fall back to id */
    }
  }
  return params.get('id') ?? '';
}
