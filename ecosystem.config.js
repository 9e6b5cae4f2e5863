// PM2 process file: `pm2 start ecosystem.config.js` (npm start does it after build and setup).
//
// Deliberately absent: PORT, HOST and every other app variable. Each instance reads the app's
// .env itself, and values in the shell at `pm2 start` time win over it, so a second copy can run
// with `PORT=4000 pm2 start ecosystem.config.js`. No preload and no `node_args: -r dotenv/config`:
// initialisation happens in dist/server.js of every instance.
const fs = require('node:fs');
const path = require('node:path');
const dotenv = require('dotenv');

/** INSTANCES from the shell, else from .env (read without injecting it into PM2's env), else max. */
function instances() {
  let value = process.env.INSTANCES;
  if (!value) {
    try {
      value = dotenv.parse(fs.readFileSync(path.join(__dirname, '.env'))).INSTANCES;
    } catch {
      value = undefined;
    }
  }
  if (!value || value === 'max') return 'max';
  const count = Number(value);
  return Number.isInteger(count) ? count : 'max';
}

module.exports = {
  apps: [
    {
      name: 'sop-orchestrator',
      script: 'dist/server.js',
      cwd: __dirname,
      exec_mode: 'cluster',
      instances: instances(),
      // The instance sends 'ready' only after AuthContext, store and listener are up.
      wait_ready: true,
      listen_timeout: 10000,
      // Longer than the app's own SHUTDOWN_TIMEOUT_MS (10 s default) so PM2 never SIGKILLs a clean drain.
      kill_timeout: 15000,
      // A worker that cannot start is retried after 100 ms, 150 ms, … up to 15 s, never in a tight loop.
      exp_backoff_restart_delay: 100,
      // Windows has no SIGINT for PM2 to send: ask the instance to shut down over IPC instead.
      shutdown_with_message: process.platform === 'win32',
      // PM2 would load its own agent into every instance before our code runs (~25 ms per start);
      // the instance attaches @pm2/io itself after 'ready' (auth:status action, metrics).
      pmx: false,
      log_date_format: 'YYYY-MM-DD HH:mm:ss.SSS',
      merge_logs: false,
      env: { NODE_ENV: 'development' },
      env_production: { NODE_ENV: 'production' },
    },
  ],
};
