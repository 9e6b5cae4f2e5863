#!/usr/bin/env bash
# Installs and configures pm2-logrotate for the PM2 daemon of the current PM2_HOME (default ~/.pm2),
# so the instances' log files (PM2_HOME/logs/sop-orchestrator-{out,error}-N.log) stop growing
# without bound. Run it once per host, as the user that runs PM2:
#
#   deploy/setup-logrotate.sh
#
# `pm2 install` downloads pm2-logrotate from the npm registry (the host needs access to it, or to
# your registry mirror via npm's `registry` setting). PM2 runs it as a module: it is listed by
# `pm2 ls` (Module section), survives `pm2 save` / resurrect, and is configured with `pm2 set`.
#
# Settings (environment, defaults in brackets):
#   LOGROTATE_MAX_SIZE   rotate a file when it is bigger than this [10M]
#   LOGROTATE_RETAIN     rotated files kept per log [14]
#   LOGROTATE_COMPRESS   gzip rotated files [true]
#   LOGROTATE_INTERVAL   also rotate on this cron schedule, whatever the size [0 0 * * *] (daily)
set -euo pipefail

APP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PM2="$APP_ROOT/node_modules/.bin/pm2"
[[ -x "$PM2" ]] || {
  echo "setup-logrotate: $PM2 is missing: run npm ci in $APP_ROOT first" >&2
  exit 1
}

max_size="${LOGROTATE_MAX_SIZE:-10M}"
retain="${LOGROTATE_RETAIN:-14}"
compress="${LOGROTATE_COMPRESS:-true}"
interval="${LOGROTATE_INTERVAL:-0 0 * * *}"

[[ "$max_size" =~ ^[0-9]+[KMG]?$ ]] || { echo "setup-logrotate: LOGROTATE_MAX_SIZE must look like 10M, 500K or 1G" >&2; exit 1; }
[[ "$retain" =~ ^[0-9]+$ ]] || { echo "setup-logrotate: LOGROTATE_RETAIN must be a number of files" >&2; exit 1; }
[[ "$compress" == true || "$compress" == false ]] || { echo "setup-logrotate: LOGROTATE_COMPRESS must be true or false" >&2; exit 1; }

echo "==> Installing pm2-logrotate into PM2 (PM2_HOME=${PM2_HOME:-$HOME/.pm2})"
"$PM2" install pm2-logrotate

echo "==> Configuring it"
"$PM2" set pm2-logrotate:max_size "$max_size"
"$PM2" set pm2-logrotate:retain "$retain"
"$PM2" set pm2-logrotate:compress "$compress"
"$PM2" set pm2-logrotate:rotateInterval "$interval"
# Rotated files get a sortable timestamp; the live file keeps its name, so `pm2 logs` is unaffected.
"$PM2" set pm2-logrotate:dateFormat 'YYYY-MM-DD_HH-mm-ss'

echo "==> Saving the PM2 process list (the module is restored with it at boot)"
"$PM2" save

cat <<EOF

pm2-logrotate is running. Check it with:
  $PM2 ls                         (Module section: pm2-logrotate online)
  $PM2 conf pm2-logrotate         (the settings above)
Rotated files are written next to the live ones in ${PM2_HOME:-$HOME/.pm2}/logs/.
EOF
