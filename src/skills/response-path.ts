const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);

/** Parses `$`, `$.a.b`, `$.items[0].name`, `$["odd key"]` into segments. */
export function parseResponsePath(path: string): Array<string | number> {
  if (!path.startsWith('$')) throw new Error(`response path "${path}" must start with $`);
  const segments: Array<string | number> = [];
  const pattern = /\.([A-Za-z_$][A-Za-z0-9_$-]*)|\[(\d+)\]|\["([^"]*)"\]/y;
  let index = 1;
  while (index < path.length) {
    pattern.lastIndex = index;
    const match = pattern.exec(path);
    if (!match) throw new Error(`response path "${path}" is invalid at character ${index + 1}`);
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push(match[3] ?? '');
    index = pattern.lastIndex;
  }
  return segments;
}

export function readResponsePath(document: unknown, segments: ReadonlyArray<string | number>): unknown {
  let current = document;
  for (const segment of segments) {
    if (typeof segment === 'number') {
      if (!Array.isArray(current) || segment >= current.length) return undefined;
      current = current[segment];
    } else {
      if (FORBIDDEN.has(segment) || current === null || typeof current !== 'object' || !Object.hasOwn(current, segment)) return undefined;
      current = (current as Record<string, unknown>)[segment];
    }
  }
  return current;
}
