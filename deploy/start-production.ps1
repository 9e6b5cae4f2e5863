# Production start of sop-orchestrator on Windows (PowerShell 5.1 or 7), from a checkout on the host:
#
#   powershell -ExecutionPolicy Bypass -File deploy\start-production.ps1
#
# Same steps as deploy/start-production.sh: check Node >= 20.19 -> npm ci -> build -> sopctl setup
# -> PM2 cluster with --env production (first run: start; later runs: zero-downtime reload)
# -> pm2 save -> `sopctl diagnose` until every instance is initialised -> how to verify.
#
# Uses the project's own PM2 (node_modules\pm2\bin\pm2) and the daemon of the current PM2_HOME
# (default %USERPROFILE%\.pm2). On Windows PM2 cannot send SIGINT, so ecosystem.config.js sets
# shutdown_with_message and each instance shuts down gracefully on PM2's 'shutdown' message.
#
# Environment:
#   SKIP_INSTALL=1   never run `npm ci`;  SKIP_INSTALL=0  always run it;
#   (unset)          run it unless node_modules\.package-lock.json is newer than package-lock.json
#   DIAGNOSE_WAIT_SECONDS   how long to wait for every instance to be initialised (default 60)
#
# Start at boot: `pm2 startup` does not support Windows. Run `pm2 resurrect` (with the same
# PM2_HOME) from a Task Scheduler task "At startup", or use a service wrapper such as
# pm2-installer; see deploy/systemd.md for what the saved process list contains.

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$AppName = 'sop-orchestrator'
$MinNode = [Version]'20.19.0'
$AppRoot = Split-Path -Parent $PSScriptRoot
Set-Location $AppRoot

function Write-Step([string]$Message) { Write-Host "`n==> $Message" }

function Stop-WithError([string]$Message) {
    [Console]::Error.WriteLine("start-production: $Message")
    exit 1
}

# Native commands do not throw on a non-zero exit code in PowerShell 5.1: check each one.
function Invoke-Native([string]$What, [scriptblock]$Command) {
    & $Command
    if ($LASTEXITCODE -ne 0) { Stop-WithError "$What failed (exit code $LASTEXITCODE)" }
}

Write-Step "Checking Node.js (>= $MinNode)"
if (-not (Get-Command node -ErrorAction SilentlyContinue)) { Stop-WithError "node is not on PATH: install Node.js $MinNode or newer" }
if (-not (Get-Command npm -ErrorAction SilentlyContinue)) { Stop-WithError "npm is not on PATH: it comes with Node.js; install Node.js $MinNode or newer" }
$NodeVersionText = (& node -p 'process.versions.node').Trim()
$NodeVersion = $null
if (-not [Version]::TryParse($NodeVersionText, [ref]$NodeVersion)) { Stop-WithError "cannot read the Node.js version (got '$NodeVersionText')" }
if ($NodeVersion -lt $MinNode) { Stop-WithError "Node.js $NodeVersionText is too old: install Node.js $MinNode or newer (e.g. the current LTS)" }
Write-Host "node $NodeVersionText"

Write-Step 'Installing dependencies'
$HiddenLock = Join-Path $AppRoot 'node_modules\.package-lock.json'
$Lock = Join-Path $AppRoot 'package-lock.json'
$InstallNeeded = switch ($env:SKIP_INSTALL) {
    '1' { $false }
    '0' { $true }
    default {
        -not ((Test-Path $HiddenLock) -and (Test-Path $Lock) -and
            ((Get-Item $HiddenLock).LastWriteTimeUtc -gt (Get-Item $Lock).LastWriteTimeUtc))
    }
}
if ($InstallNeeded) {
    if (-not (Test-Path $Lock)) { Stop-WithError 'package-lock.json is missing: npm ci needs it (restore it from the repository)' }
    # Dev dependencies are needed for the build (TypeScript), whatever NODE_ENV this shell has.
    Invoke-Native 'npm ci' { npm ci --include=dev --no-audit --no-fund }
} else {
    Write-Host 'skipped (node_modules is up to date with package-lock.json, or SKIP_INSTALL=1)'
}
$Pm2Script = Join-Path $AppRoot 'node_modules\pm2\bin\pm2'
if (-not (Test-Path $Pm2Script)) { Stop-WithError 'node_modules\pm2 is missing: run npm ci (unset SKIP_INSTALL)' }
function Invoke-Pm2 {
    # Captured: inside the script block below, $args would be the block's own (empty) arguments.
    $Pm2Args = $args
    Invoke-Native "pm2 $($Pm2Args -join ' ')" { node $Pm2Script @Pm2Args }
}

Write-Step 'Building dist\'
Invoke-Native 'npm run build' { npm run --silent build }

Write-Step 'Setting up .env and the store (sopctl setup, idempotent)'
Invoke-Native 'sopctl setup' { node dist/cli/sopctl.js setup }

Write-Step 'Starting the PM2 cluster (--env production)'
# startOrReload: starts the app if PM2 does not run it yet, otherwise reloads it instance by
# instance (zero downtime) and applies env_production from ecosystem.config.js.
Invoke-Pm2 startOrReload ecosystem.config.js --env production

Write-Step 'Saving the PM2 process list'
Invoke-Pm2 save

Write-Step 'Checking every instance (sopctl diagnose)'
$WaitSeconds = if ($env:DIAGNOSE_WAIT_SECONDS) { [int]$env:DIAGNOSE_WAIT_SECONDS } else { 60 }
$Deadline = (Get-Date).AddSeconds($WaitSeconds)
# Instances report 'ready' one after another; until then diagnose fails. Retry quietly, then
# print the last answer either way.
do {
    & node dist/cli/sopctl.js diagnose --app $AppName *> $null
    if ($LASTEXITCODE -eq 0) { break }
    Start-Sleep -Seconds 1
} while ((Get-Date) -lt $Deadline)
& node dist/cli/sopctl.js diagnose --app $AppName
if ($LASTEXITCODE -ne 0) {
    [Console]::Error.WriteLine("`nstart-production: not every instance is initialised after ${WaitSeconds}s. See why with:")
    [Console]::Error.WriteLine("  node $Pm2Script logs $AppName --nostream --lines 50")
    [Console]::Error.WriteLine('  docs\OPERATIONS.md (troubleshooting table)')
    exit 1
}

& node dist/cli/sopctl.js welcome
Write-Host @"
Verify at any time (details in docs\OPERATIONS.md):
  npm run diagnose                                    every instance answers "initialised"
  node $Pm2Script logs $AppName --nostream --lines 20
      each instance: "AuthContext initialized for user: ..." then "instance ready ... startup_ms=..."
  node $Pm2Script trigger $AppName auth:status    one answer per instance
Log rotation: node $Pm2Script install pm2-logrotate  (settings: see deploy/setup-logrotate.sh)
"@
