/**
 * How deeply a JSON request body may nest. Real payloads stay far below it; far deeper ones parse
 * (V8's JSON.parse is iterative) but overflow the stack later, in JSON.stringify of run data or
 * of a skill input, which made them 500s.
 */
export const MAX_JSON_DEPTH = 64;

/** Whether `value` nests objects/arrays more than `limit` levels deep; iterative, so any depth is safe. */
export function exceedsJsonDepth(value: unknown, limit: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (item.value === null || typeof item.value !== 'object') continue;
    const depth = item.depth + 1;
    if (depth > limit) return true;
    for (const child of Object.values(item.value)) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth });
    }
  }
  return false;
}
