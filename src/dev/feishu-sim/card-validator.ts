/**
 * Card JSON 2.0 checks, as Feishu applies them when a card is sent, patched or returned from a callback.
 * Returns null for a valid card, else a message saying what to fix (sent back with code 230099).
 */

export const CARD_MAX_BYTES = 30 * 1024;
export const CARD_MAX_ELEMENTS = 200;

const TOP_LEVEL_KEYS = new Set(['schema', 'config', 'card_link', 'header', 'body']);
const CONFIG_KEYS = new Set([
  'update_multi',
  'width_mode',
  'enable_forward',
  'enable_forward_interaction',
  'summary',
  'locales',
  'style',
  'streaming_mode',
  'streaming_config',
  'use_custom_translation',
]);
const HEADER_KEYS = new Set([
  'title',
  'subtitle',
  'text_tag_list',
  'i18n_text_tag_list',
  'template',
  'icon',
  'ud_icon',
  'padding',
]);
const BODY_KEYS = new Set([
  'direction',
  'padding',
  'elements',
  'horizontal_spacing',
  'vertical_spacing',
  'horizontal_align',
  'vertical_align',
]);
const HEADER_TEMPLATES = new Set([
  'blue',
  'wathet',
  'turquoise',
  'green',
  'yellow',
  'orange',
  'red',
  'carmine',
  'violet',
  'purple',
  'indigo',
  'grey',
  'default',
]);

/** Components that carry a value a form submits; inside a form each needs a unique `name`. */
const INTERACTIVE_TAGS = new Set([
  'input',
  'select_static',
  'multi_select_static',
  'select_person',
  'multi_select_person',
  'select_img',
  'date_picker',
  'picker_time',
  'picker_datetime',
  'checker',
  'button',
]);
const KNOWN_TAGS = new Set([
  ...INTERACTIVE_TAGS,
  'markdown',
  'div',
  'plain_text',
  'hr',
  'img',
  'img_combination',
  'column_set',
  'column',
  'form',
  'overflow',
  'collapsible_panel',
  'interactive_container',
  'table',
  'chart',
  'person',
  'person_list',
  'avatar',
  'audio',
  'text_tag',
]);
const REMOVED_TAGS: Record<string, string> = {
  note: 'the "note" component was removed in card JSON 2.0; use a markdown element with small grey text',
  action: 'the "action" module was removed in card JSON 2.0; put buttons directly in body.elements or a column_set',
};
const MULTI_ONLY_IN_FORM = new Set(['multi_select_static', 'multi_select_person']);
/** Components whose click can open a link or call back (配置卡片交互): their `behaviors` are checked. */
const BEHAVIOR_TAGS = new Set(['button', 'interactive_container', 'column']);
const BEHAVIOR_TYPES = new Set(['open_url', 'callback', 'form_action']);
const OPEN_URL_KEYS = new Set(['type', 'default_url', 'pc_url', 'ios_url', 'android_url']);
/** Disables the link on one platform (pc_url, ios_url, android_url only). */
const UNSUPPORTED_ACTION = 'lark://msgcard/unsupported_action';
const ELEMENT_ID = /^[a-zA-Z][a-zA-Z0-9_]{0,19}$/;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

interface WalkState {
  count: number;
  elementIds: Set<string>;
  formNames: Set<string>;
  /** Names in the form being walked, or null outside a form. */
  fieldNames: Set<string> | null;
  hasSubmit: boolean;
  knownImageKeys?: (key: string) => boolean;
}

export interface CardCheckOptions {
  /** When given, every img_key must be one the simulator issued. */
  knownImageKey?: (key: string) => boolean;
}

export function validateCard(card: unknown, options: CardCheckOptions = {}): string | null {
  if (!isObject(card)) return 'card content must be a JSON object';
  if (card.type === 'template') {
    const data = card.data;
    if (!isObject(data) || typeof data.template_id !== 'string' || data.template_id === '') {
      return 'template card needs data.template_id';
    }
    return null;
  }
  if ('i18n_elements' in card) {
    return 'i18n_elements was removed in card JSON 2.0; use i18n_content on each text instead';
  }
  if (card.schema !== '2.0') {
    return `card must set schema:"2.0" (got ${JSON.stringify(card.schema)}); JSON 1.0 cards are not accepted`;
  }
  for (const key of Object.keys(card)) {
    if (!TOP_LEVEL_KEYS.has(key)) {
      return key === 'elements'
        ? 'elements must be inside body (body.elements) in card JSON 2.0'
        : `unknown property "${key}" at the card root`;
    }
  }
  if (card.config !== undefined) {
    if (!isObject(card.config)) return 'config must be an object';
    for (const key of Object.keys(card.config)) {
      if (!CONFIG_KEYS.has(key)) return `unknown property "${key}" in config`;
    }
    if ('update_multi' in card.config && card.config.update_multi !== true) {
      return 'config.update_multi must be true in card JSON 2.0 (only shared cards are supported)';
    }
  }
  if (card.header !== undefined) {
    const problem = checkHeader(card.header);
    if (problem) return problem;
  }
  if (!isObject(card.body)) return 'card JSON 2.0 needs a body object with elements';
  for (const key of Object.keys(card.body)) {
    if (!BODY_KEYS.has(key)) return `unknown property "${key}" in body`;
  }
  if (!Array.isArray(card.body.elements)) return 'body.elements must be an array';
  const state: WalkState = {
    count: 0,
    elementIds: new Set(),
    formNames: new Set(),
    fieldNames: null,
    hasSubmit: false,
    knownImageKeys: options.knownImageKey,
  };
  const problem = walkElements(card.body.elements, 'body.elements', true, state);
  if (problem) return problem;
  if (state.count > CARD_MAX_ELEMENTS) {
    return `card has ${state.count} elements; at most ${CARD_MAX_ELEMENTS} are allowed`;
  }
  return null;
}

/** True when the card (2.0) says it may be updated for everyone (needed before and after a patch). */
export function isUpdatableCard(card: unknown): boolean {
  return isObject(card) && isObject(card.config) && card.config.update_multi === true;
}

function checkHeader(header: unknown): string | null {
  if (!isObject(header)) return 'header must be an object';
  for (const key of Object.keys(header)) {
    if (!HEADER_KEYS.has(key)) return `unknown property "${key}" in header`;
  }
  if (header.title !== undefined) {
    if (!isObject(header.title)) return 'header.title must be an object {tag, content}';
    if (header.title.tag !== 'plain_text' && header.title.tag !== 'lark_md') {
      return 'header.title.tag must be plain_text or lark_md';
    }
  }
  if (header.template !== undefined && !HEADER_TEMPLATES.has(String(header.template))) {
    return `header.template "${String(header.template)}" is not a known colour`;
  }
  if (Array.isArray(header.text_tag_list) && header.text_tag_list.length > 3) {
    return 'header.text_tag_list holds at most 3 tags';
  }
  return null;
}

function walkElements(elements: unknown[], path: string, atRoot: boolean, state: WalkState): string | null {
  for (const [index, element] of elements.entries()) {
    const problem = checkElement(element, `${path}[${index}]`, atRoot, state);
    if (problem) return problem;
  }
  return null;
}

function checkElement(element: unknown, path: string, atRoot: boolean, state: WalkState): string | null {
  if (!isObject(element)) return `${path} must be an object with a tag`;
  state.count++;
  const tag = element.tag;
  if (typeof tag !== 'string') return `${path} has no tag`;
  const removed = REMOVED_TAGS[tag];
  if (removed) return `${path}: ${removed}`;
  if (!KNOWN_TAGS.has(tag)) return `${path}: unknown tag "${tag}"`;
  if (element.element_id !== undefined) {
    const id = element.element_id;
    if (typeof id !== 'string' || !ELEMENT_ID.test(id)) {
      return `${path}.element_id must start with a letter and hold at most 20 letters, digits or underscores`;
    }
    if (state.elementIds.has(id)) return `${path}.element_id "${id}" is used twice`;
    state.elementIds.add(id);
  }
  if (state.fieldNames && INTERACTIVE_TAGS.has(tag)) {
    const name = element.name;
    if (typeof name !== 'string' || name === '') {
      return `${path}: every interactive component in a form needs a name (${tag} has none)`;
    }
    if (state.fieldNames.has(name)) return `${path}: name "${name}" is used twice in the form`;
    state.fieldNames.add(name);
    if (tag === 'button' && element.form_action_type === 'submit') state.hasSubmit = true;
  }
  if (MULTI_ONLY_IN_FORM.has(tag) && !state.fieldNames) return `${path}: ${tag} works only inside a form`;
  if (BEHAVIOR_TAGS.has(tag) && element.behaviors !== undefined) {
    const problem = checkBehaviors(element.behaviors, `${path}.behaviors`);
    if (problem) return problem;
  }
  switch (tag) {
    case 'markdown':
      if (typeof element.content !== 'string') return `${path}: markdown needs a content string`;
      return null;
    case 'div':
      if (!isObject(element.text) && !Array.isArray(element.fields)) return `${path}: div needs text`;
      return null;
    case 'img':
      if (typeof element.img_key !== 'string' || element.img_key === '') return `${path}: img needs img_key`;
      if (state.knownImageKeys && !state.knownImageKeys(element.img_key)) {
        return `${path}: img_key "${element.img_key}" was not uploaded by this app`;
      }
      if (!isObject(element.alt)) return `${path}: img needs alt {tag:"plain_text", content}`;
      return null;
    case 'button':
      if (!isObject(element.text)) return `${path}: button needs text {tag:"plain_text", content}`;
      return null;
    case 'select_static':
    case 'multi_select_static':
      if (!Array.isArray(element.options)) return `${path}: ${tag} needs options`;
      return null;
    case 'form':
      return checkForm(element, path, atRoot, state);
    case 'column_set':
      if (element.columns === undefined) return null;
      if (!Array.isArray(element.columns)) return `${path}.columns must be an array`;
      for (const [index, column] of element.columns.entries()) {
        const columnPath = `${path}.columns[${index}]`;
        if (!isObject(column) || column.tag !== 'column') return `${columnPath} must be {tag:"column", elements}`;
        const problem = checkElement(column, columnPath, false, state);
        if (problem) return problem;
      }
      return null;
    case 'column':
    case 'collapsible_panel':
    case 'interactive_container':
      if (element.elements === undefined) return null;
      if (!Array.isArray(element.elements)) return `${path}.elements must be an array`;
      return walkElements(element.elements, `${path}.elements`, false, state);
    case 'table':
    case 'chart':
      if (state.fieldNames) return `${path}: a form cannot contain a ${tag}`;
      return null;
    default:
      return null;
  }
}

/**
 * A click's behaviours (card JSON 2.0): an open_url needs an absolute http(s) default_url, its fallback on every
 * platform; pc_url / ios_url / android_url may each be another such URL or lark://msgcard/unsupported_action. The
 * JSON 1.0 fields (url, multi_url) are not part of it.
 */
function checkBehaviors(behaviors: unknown, path: string): string | null {
  if (!Array.isArray(behaviors)) return `${path} must be an array`;
  for (const [index, behavior] of behaviors.entries()) {
    const at = `${path}[${index}]`;
    if (!isObject(behavior) || typeof behavior.type !== 'string') return `${at} must be an object with a type`;
    if (!BEHAVIOR_TYPES.has(behavior.type)) return `${at}: unknown behavior type "${behavior.type}"`;
    if (behavior.type === 'callback' && behavior.value === undefined) return `${at}: a callback needs a value`;
    if (behavior.type !== 'open_url') continue;
    for (const key of Object.keys(behavior)) {
      if (!OPEN_URL_KEYS.has(key)) {
        return key === 'url' || key === 'multi_url'
          ? `${at}: "${key}" is a card JSON 1.0 field; open_url takes default_url (and pc_url, ios_url, android_url)`
          : `${at}: unknown property "${key}" in open_url`;
      }
    }
    if (!isAbsoluteHttpUrl(behavior.default_url)) {
      return `${at}.default_url must be an absolute http(s) URL (got ${JSON.stringify(behavior.default_url)})`;
    }
    for (const key of ['pc_url', 'ios_url', 'android_url'] as const) {
      const url = behavior[key];
      if (url === undefined || url === UNSUPPORTED_ACTION) continue;
      if (!isAbsoluteHttpUrl(url)) return `${at}.${key} must be an absolute http(s) URL (got ${JSON.stringify(url)})`;
    }
  }
  return null;
}

function isAbsoluteHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string' || value === '') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host !== '';
  } catch {
    return false;
  }
}

function checkForm(form: Json, path: string, atRoot: boolean, state: WalkState): string | null {
  if (!atRoot) return `${path}: a form may only sit at the root of body.elements`;
  if (state.fieldNames) return `${path}: forms cannot be nested`;
  if (typeof form.name !== 'string' || form.name === '') return `${path}: form needs a name`;
  if (state.formNames.has(form.name)) return `${path}: form name "${form.name}" is used twice`;
  state.formNames.add(form.name);
  if (!Array.isArray(form.elements)) return `${path}: form needs elements`;
  state.fieldNames = new Set();
  state.hasSubmit = false;
  const problem = walkElements(form.elements, `${path}.elements`, false, state);
  const hasSubmit = state.hasSubmit;
  state.fieldNames = null;
  if (problem) return problem;
  if (!hasSubmit) return `${path}: form "${form.name}" needs a button with form_action_type:"submit" and a name`;
  return null;
}
