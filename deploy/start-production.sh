#!/usr/bin/env bash
# Production start of sop-orchestrator on Linux/macOS, run from a checkout on the host:
#
#   deploy/start-production.sh
#
# Steps: check Node >= 20.19 → npm ci → build → sopctl setup (.env with a master key, store)
# → PM2 cluster with --env production (first run: start; later runs: zero-downtime reload)
# → pm2 save → `sopctl diagnose` until every instance is initialised → how to verify.
#
# Uses the project's own PM2 (node_modules/.bin/pm2) and the daemon of the current PM2_HOME
# (default ~/.pm2). Variables that are set in this shell (PORT, INSTANCES, …) reach the instances
# on the first start and win over .env; prefer putting them in .env.
#
# Environment:
#   SKIP_INSTALL=1   never run `npm ci` (node_modules is provided some other way)
#   SKIP_INSTALL=0   always run `npm ci`
#   (unset)          run `npm ci` unless node_modules is up to date with package-lock.json, i.e.
#                    node_modules/.package-lock.json (written by npm) is newer than package-lock.json
#   DIAGNOSE_WAIT_SECONDS   how long to wait for every instance to be initialised (default 60)
set -euo pipefail

APP_NAME=sop-orchestrator
MIN_NODE_MAJOR=20
MIN_NODE_MINOR=19
APP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$APP_ROOT"

step() { printf '\n==> %s\n' "$*"; }
die() {
  printf 'start-production: %s\n' "$*" >&2
  exit 1
}

step "Checking Node.js (>= ${MIN_NODE_MAJOR}.${MIN_NODE_MINOR})"
command -v node >/dev/null 2>&1 || die "node is not on PATH: install Node.js ${MIN_NODE_MAJOR}.${MIN_NODE_MINOR} or newer"
command -v npm >/dev/null 2>&1 || die "npm is not on PATH: it comes with Node.js; install Node.js ${MIN_NODE_MAJOR}.${MIN_NODE_MINOR} or newer"
node_version="$(node -p 'process.versions.node')"
IFS=. read -r node_major node_minor _ <<<"$node_version"
if ! [[ "$node_major" =~ ^[0-9]+$ && "$node_minor" =~ ^[0-9]+$ ]]; then
  die "cannot read the Node.js version (got '$node_version')"
fi
if ((node_major < MIN_NODE_MAJOR || (node_major == MIN_NODE_MAJOR && node_minor < MIN_NODE_MINOR))); then
  die "Node.js $node_version is too old: install Node.js ${MIN_NODE_MAJOR}.${MIN_NODE_MINOR} or newer (e.g. the current LTS)"
fi
echo "node $node_version"

step "Installing dependencies"
install_needed() {
  case "${SKIP_INSTALL:-}" in
    1) return 1 ;;
    0) return 0 ;;
  esac
  [[ -f node_modules/.package-lock.json && -f package-lock.json && node_modules/.package-lock.json -nt package-lock.json ]] && return 1
  return 0
}
if install_needed; then
  [[ -f package-lock.json ]] || die "package-lock.json is missing: npm ci needs it (restore it from the repository)"
  # Dev dependencies are needed for the build (TypeScript), whatever NODE_ENV this shell has.
  npm ci --include=dev --no-audit --no-fund
else
  echo "skipped (SKIP_INSTALL=${SKIP_INSTALL:-unset}; node_modules is up to date with package-lock.json or provided)"
fi
[[ -x node_modules/.bin/pm2 ]] || die "node_modules/.bin/pm2 is missing: run npm ci (unset SKIP_INSTALL)"
PM2="$APP_ROOT/node_modules/.bin/pm2"

step "Building dist/"
npm run --silent build

step "Setting up .env and the store (sopctl setup, idempotent)"
node dist/cli/sopctl.js setup

step "Starting the PM2 cluster (--env production)"
# startOrReload: starts the app if PM2 does not run it yet, otherwise reloads it instance by
# instance (zero downtime) and applies env_production from ecosystem.config.js.
"$PM2" startOrReload ecosystem.config.js --env production

step "Saving the PM2 process list (restored at boot by pm2 startup, see deploy/systemd.md)"
"$PM2" save

step "Checking every instance (sopctl diagnose)"
wait_seconds="${DIAGNOSE_WAIT_SECONDS:-60}"
deadline=$((SECONDS + wait_seconds))
# Instances report 'ready' one after another; until then diagnose fails. Retry quietly, then
# print the last answer either way.
until node dist/cli/sopctl.js diagnose --app "$APP_NAME" >/dev/null 2>&1 || ((SECONDS >= deadline)); do
  sleep 1
done
if ! node dist/cli/sopctl.js diagnose --app "$APP_NAME"; then
  printf '\nstart-production: not every instance is initialised after %ss. See why with:\n' "$wait_seconds" >&2
  printf '  %s logs %s --nostream --lines 50\n' "$PM2" "$APP_NAME" >&2
  printf '  docs/OPERATIONS.md (troubleshooting table)\n' >&2
  exit 1
fi

node dist/cli/sopctl.js welcome
cat <<EOF
Verify at any time (details in docs/OPERATIONS.md):
  npm run diagnose                                    every instance answers "initialised"
  $PM2 logs $APP_NAME --nostream --lines 20
      each instance: "AuthContext initialized for user: …" then "instance ready … startup_ms=…"
  $PM2 trigger $APP_NAME auth:status              one answer per instance
Start at boot: deploy/systemd.md (pm2 startup). Log rotation: deploy/setup-logrotate.sh.
EOF
