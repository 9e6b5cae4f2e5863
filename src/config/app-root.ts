import fs from 'node:fs';
import path from 'node:path';

const PACKAGE_NAME = 'sop-orchestrator';

/**
 * The folder that holds this app's package.json, found by walking up from `start`.
 * Walking up (instead of `__dirname + '/..'`) keeps working when the build output
 * moves deeper or shallower, and never depends on the cwd a parent process chose.
 */
export function findAppRoot(start: string = __dirname): string {
  let dir = fs.realpathSync(start);
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && readPackageName(manifest) === PACKAGE_NAME) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package.json above ${start}`);
    dir = parent;
  }
}

function readPackageName(manifest: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    return typeof parsed === 'object' && parsed !== null && 'name' in parsed && typeof parsed.name === 'string'
      ? parsed.name
      : undefined;
  } catch {
    return undefined;
  }
}

/** The app's version from its package.json (shown in /openapi.json and diagnostics). */
export function readAppVersion(appRoot: string): string {
  const parsed = JSON.parse(fs.readFileSync(path.join(appRoot, 'package.json'), 'utf8')) as { version?: unknown };
  return typeof parsed.version === 'string' ? parsed.version : '0.0.0';
}
