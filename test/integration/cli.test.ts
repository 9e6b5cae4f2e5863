import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AppCopy } from '../helpers/cluster';

const OLD_KEY = Buffer.alloc(32, 0x61).toString('base64');
const NEW_KEY = Buffer.alloc(32, 0x62).toString('base64');

/** sopctl against a copy of the built app (its own .env and SQLite file); no PM2 needed. */
describe('sopctl', () => {
  let app: AppCopy;
  before(async () => {
    app = await AppCopy.create();
  });
  after(() => app.destroy());

  const ok = (args: string[], input?: string) => {
    const result = app.sopctl(args, input === undefined ? {} : { input });
    assert.equal(result.status, 0, `sopctl ${args.join(' ')}: ${result.stderr}`);
    return result;
  };

  test('When setup runs twice, then .env gets a key once, one bootstrap key is printed once, and the demo credential exists', () => {
    const first = ok(['setup']);
    assert.match(first.stdout.trim(), /^sop_[A-Za-z0-9_-]{43}$/);
    const env = fs.readFileSync(path.join(app.root, '.env'), 'utf8');
    assert.match(env, /^CREDENTIAL_MASTER_KEY=/m);
    assert.match(env, /^CALLBACK_SIGNING_SECRET=/m);
    const second = ok(['setup']);
    assert.equal(second.stdout, '', 'the bootstrap key is never printed again');
    assert.equal(fs.readFileSync(path.join(app.root, '.env'), 'utf8'), env, 'the key is kept');
    const demo = JSON.parse(ok(['credentials', 'list', '--user', 'system']).stdout) as Array<{ name: string }>;
    assert.deepEqual(demo.map((c) => c.name), ['demo']);
  });

  test('When credentials are managed, then secrets come only from stdin, show masks unless --reveal, and everything is audited', () => {
    const secret = 'ghp_cli_SECRET_value';
    const noTty = app.sopctl(['credentials', 'add', 'github', '--user', 'alice', '--type', 'bearer']);
    assert.notEqual(noTty.status, 0);
    assert.match(noTty.stderr, /--secret-stdin, or run in a terminal/);

    const added = ok(['credentials', 'add', 'github', '--user', 'alice', '--type', 'bearer', '--description', 'PAT', '--secret-stdin'], `${secret}\n`);
    assert.ok(!added.stdout.includes(secret));
    const basic = ok(['credentials', 'add', 'jira', '--user', 'alice', '--type', 'basic', '--field', 'username=alice@example.com', '--secret-stdin'], 'pw\n');
    assert.equal((JSON.parse(basic.stdout) as { fields: { username: string } }).fields.username, 'alice@example.com');

    const masked = JSON.parse(ok(['credentials', 'show', 'github', '--user', 'alice']).stdout) as { secrets: { token: string } };
    assert.equal(masked.secrets.token, '********');
    const revealed = JSON.parse(ok(['credentials', 'show', 'github', '--user', 'alice', '--reveal']).stdout) as { secrets: { token: string } };
    assert.equal(revealed.secrets.token, secret);
    assert.match(ok(['credentials', 'test', 'github', '--user', 'alice']).stderr, /ok: credential github \(bearer\) of user alice decrypts/);
    ok(['credentials', 'update', 'github', '--user', 'alice', '--secret-stdin'], 'ghp_new\n');
    const after = JSON.parse(ok(['credentials', 'show', 'github', '--user', 'alice', '--reveal']).stdout) as { secrets: { token: string }; description: string };
    assert.equal(after.secrets.token, 'ghp_new');
    assert.equal(after.description, 'PAT');
    assert.equal(app.sopctl(['credentials', 'show', 'github', '--user', 'bob']).status, 1, "another user's name does not resolve");
    ok(['credentials', 'delete', 'jira', '--user', 'alice']);

    const audit = JSON.parse(ok(['credentials', 'audit', '--user', 'alice', '--json']).stdout) as Array<{ credential: string; action: string; actor: string }>;
    assert.deepEqual(
      audit.map((a) => `${a.credential}:${a.action}`),
      ['jira:delete', 'github:reveal', 'github:update', 'github:test', 'github:reveal', 'jira:create', 'github:create'],
    );
    assert.ok(audit.every((a) => a.actor === 'cli'));
  });

  test('When keys are created, listed and revoked, then only the key goes to stdout and listings never show it', () => {
    const key = ok(['keys', 'create', '--user', 'carol', '--label', 'ci']).stdout.trim();
    assert.match(key, /^sop_[A-Za-z0-9_-]{43}$/);
    const listed = JSON.parse(ok(['keys', 'list', '--user', 'carol', '--json']).stdout) as Array<{ id: string; prefix: string; revokedAt: string | null }>;
    assert.equal(listed.length, 1);
    assert.ok(key.startsWith(listed[0]!.prefix));
    assert.ok(!JSON.stringify(listed).includes(key));
    ok(['keys', 'revoke', listed[0]!.id]);
    const revoked = JSON.parse(ok(['keys', 'list', '--user', 'carol', '--json']).stdout) as Array<{ revokedAt: string | null }>;
    assert.ok(revoked[0]!.revokedAt);
    assert.equal(app.sopctl(['keys', 'revoke', listed[0]!.id]).status, 1, 'revoking twice says so');
  });

  test('When a second master key is put first, then rotate-key moves every credential and the old key can be dropped', () => {
    const envFile = path.join(app.root, '.env');
    const original = fs.readFileSync(envFile, 'utf8');
    const oldKey = /^CREDENTIAL_MASTER_KEY=(.*)$/m.exec(original)?.[1] ?? '';
    fs.writeFileSync(envFile, original.replace(/^CREDENTIAL_MASTER_KEY=.*$/m, `CREDENTIAL_MASTER_KEY=k2:${NEW_KEY},default:${oldKey}`));
    assert.match(ok(['credentials', 'rotate-key']).stderr, /re-encrypted 2 of 2 credentials with key "k2"/);
    fs.writeFileSync(envFile, original.replace(/^CREDENTIAL_MASTER_KEY=.*$/m, `CREDENTIAL_MASTER_KEY=k2:${NEW_KEY}`));
    const revealed = JSON.parse(ok(['credentials', 'show', 'github', '--user', 'alice', '--reveal']).stdout) as { secrets: { token: string } };
    assert.equal(revealed.secrets.token, 'ghp_new');
    // And a wrong key is refused, naming the variable.
    fs.writeFileSync(envFile, original.replace(/^CREDENTIAL_MASTER_KEY=.*$/m, `CREDENTIAL_MASTER_KEY=${OLD_KEY}`));
    const refused = app.sopctl(['credentials', 'list', '--user', 'alice']);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /CREDENTIAL_MASTER_KEY does not match/);
  });
});
