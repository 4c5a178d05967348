/** Reading a card as a person sees it: every element of a JSON 2.0 card, depth first (columns included). */

// biome-ignore lint/suspicious/noExplicitAny: cards are read as JSON, element by element.
type Json = any;

export function cardElements(card: Json): Json[] {
  const out: Json[] = [];
  const walk = (list: Json[] | undefined) => {
    for (const e of list ?? []) {
      out.push(e);
      walk(e.elements);
      for (const c of e.columns ?? []) walk(c.elements);
    }
  };
  walk(card?.body?.elements);
  return out;
}
