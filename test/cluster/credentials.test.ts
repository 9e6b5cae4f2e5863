import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AppCopy, getJson } from '../helpers/cluster';

const KEY_A = Buffer.alloc(32, 0x11).toString('base64');
const KEY_B = Buffer.alloc(32, 0x22).toString('base64');

describe('When the cluster starts with a master key other than the one the store was written with', () => {
  let app: AppCopy;
  before(async () => {
    app = await AppCopy.create({ dotenv: { CREDENTIAL_MASTER_KEY: KEY_A } });
    app.setup();
  });
  after(() => app.destroy());

  test('then no instance starts and pm2 logs --nostream names CREDENTIAL_MASTER_KEY and the fix', async () => {
    app.pm2(['start', 'ecosystem.config.js'], { CREDENTIAL_MASTER_KEY: KEY_B });
    const logs = await app.waitFor('the mismatch line', () => {
      const text = app.logs();
      return /FATAL CREDENTIAL_MASTER_KEY does not match the key the stored credentials were encrypted with/.test(text) ? text : undefined;
    });
    assert.match(logs, /put the original key back in \.env/);
    assert.doesNotMatch(logs, /instance ready/);
    assert.ok(!logs.includes(KEY_A) && !logs.includes(KEY_B), 'no key in the logs');
    await assert.rejects(getJson(`${app.baseUrl}/health`));
  });
});
