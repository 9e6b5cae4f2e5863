import { AppError } from '../errors/app-error';

/** `{name}` or `{a.b.c}`: letters, digits and underscores per segment. */
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\}/g;
const WHOLE_PLACEHOLDER = /^\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\}$/;
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);

export type TemplateContext = Readonly<Record<string, unknown>>;

/** Walks own properties only, so `{__proto__}` or `{constructor.prototype}` resolve to nothing. */
export function lookupPath(context: unknown, path: string): unknown {
  let current: unknown = context;
  for (const segment of path.split('.')) {
    if (FORBIDDEN_SEGMENTS.has(segment)) return undefined;
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function missing(path: string): AppError {
  return AppError.badRequest(`skill input "${path}" is not provided`, { missing: [path] });
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Replaces every placeholder in a string; `encode` is applied to each inserted value. */
export function renderString(template: string, context: TemplateContext, encode: (text: string) => string = (t) => t): string {
  return template.replace(PLACEHOLDER, (_match, path: string) => {
    const value = lookupPath(context, path);
    if (value === undefined || value === null) throw missing(path);
    return encode(asText(value));
  });
}

/**
 * URL templates: every inserted value is percent-encoded, except the service's own base URL
 * (`{service.url}`) when it starts the template.
 */
export function renderUrl(template: string, context: TemplateContext): URL {
  const prefix = '{service.url}';
  const rendered = template.startsWith(prefix)
    ? String(lookupPath(context, 'service.url')) + renderString(template.slice(prefix.length), context, encodeURIComponent)
    : renderString(template, context, encodeURIComponent);
  try {
    return new URL(rendered);
  } catch {
    throw AppError.badRequest('the skill URL is not valid once the inputs are filled in');
  }
}

/**
 * JSON bodies and query values: a string that is exactly one placeholder takes the value with
 * its JSON type (number, object…), or is dropped when the input is absent; other strings interpolate.
 */
export function renderValue(template: unknown, context: TemplateContext): unknown {
  if (typeof template === 'string') {
    const whole = WHOLE_PLACEHOLDER.exec(template);
    if (whole?.[1] !== undefined) return lookupPath(context, whole[1]) ?? undefined;
    return renderString(template, context);
  }
  if (Array.isArray(template)) return template.map((item) => renderValue(item, context)).filter((item) => item !== undefined);
  if (template !== null && typeof template === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(template)) {
      const rendered = renderValue(value, context);
      if (rendered !== undefined) out[key] = rendered;
    }
    return out;
  }
  return template;
}

/** Header values: interpolated text, no line breaks (header injection). */
export function renderHeader(template: string, context: TemplateContext): string {
  const value = renderString(template, context);
  if (/[\r\n\0]/.test(value)) throw AppError.badRequest('a skill input put a line break into an HTTP header');
  return value;
}
