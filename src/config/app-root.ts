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

/** The `version` of the app's package.json (in /openapi.json and what `npm run diagnose` reports per instance). */
export function readAppVersion(appRoot: string): string {
  return readPackageField(path.join(appRoot, 'package.json'), 'version') ?? 'unknown';
}

function readPackageName(manifest: string): string | undefined {
  return readPackageField(manifest, 'name');
}

function readPackageField(manifest: string, field: 'name' | 'version'): string | undefined {
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || !(field in parsed)) return undefined;
    const value: unknown = (parsed as Record<string, unknown>)[field];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
