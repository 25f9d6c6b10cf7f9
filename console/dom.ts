/**
 * Builds elements from text only: nothing from the API ever passes through innerHTML,
 * so a client_ref or a deny reason cannot become markup.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string>> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value !== undefined) element.setAttribute(name, value);
  }
  element.append(...children);
  return element;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from console.html`);
  return element as T;
}

/** An ISO time as the table shows it: UTC, to the second. */
export function shortTime(iso: string | null): string {
  return iso === null ? "—" : iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}
