import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { after, before, describe, test } from 'node:test';
import { AuthContext, MISSING_USER_CONTEXT_MESSAGE } from '../../src/auth/auth-context';
import { OutboundPolicy, OutboundRefusedError, type Resolver } from '../../src/skills/outbound-policy';
import { RestExecutor } from '../../src/skills/rest-executor';
import { SkillService } from '../../src/skills/skill-service';
import { SkillRegistry } from '../../src/skills/skill-registry';
import { createAppFixture, type AppFixture } from '../helpers/app-fixture';
import { skill } from '../helpers/skills';
import { Upstream } from '../helpers/upstream';

/** DNS as the tests want it: public-looking names that resolve to private addresses. */
const fakeDns: Resolver = (hostname, options, callback) => {
  const table: Record<string, LookupAddress[]> = {
    'internal.example': [{ address: '10.1.2.3', family: 4 }],
    'mixed.example': [{ address: '93.184.216.34', family: 4 }, { address: '192.168.1.5', family: 4 }],
    'metadata.example': [{ address: '169.254.169.254', family: 4 }],
  };
  const addresses = table[hostname];
  if (addresses) return callback(null, addresses);
  const notFound = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return callback(notFound, []);
};

describe('outbound policy', () => {
  let fx: AppFixture;
  let secretService: Upstream;
  let redirector: Upstream;

  before(async () => {
    fx = await createAppFixture();
    // The target a redirect tries to reach: must never see a request.
    secretService = await Upstream.start((_req, res) => res.end('internal data'));
    // A "public" server (127.0.0.2 is allowed below) that redirects to the private one.
    redirector = await Upstream.start((req, res) => {
      const target = req.url === '/to-metadata' ? 'http://169.254.169.254/latest/meta-data/' : `${secretService.url}/secret`;
      res.writeHead(302, { location: target });
      res.end();
    }, '127.0.0.2');
  });
  after(async () => {
    await fx.close();
    await secretService.close();
    await redirector.close();
  });

  function executorWith(allow: string[]) {
    return new RestExecutor({ credentials: fx.services.credentials, policy: new OutboundPolicy(allow, undefined, fakeDns), serviceUrl: 'http://127.0.0.1:1' });
  }

  async function refusal(url: string, allow: string[] = []): Promise<OutboundRefusedError> {
    const executor = executorWith(allow);
    try {
      await executor.execute(skill({ name: 'Probe', rest: { url, timeout: 2 } }), {}, {});
    } catch (error) {
      if (error instanceof OutboundRefusedError) return error;
      throw error;
    } finally {
      await executor.close();
    }
    assert.fail(`expected ${url} to be refused`);
  }

  const refusedWithoutAllowList: Array<[string, RegExp]> = [
    ['http://127.0.0.1:9/', /refuses 127\.0\.0\.1: loopback/],
    ['http://10.0.0.1/', /refuses 10\.0\.0\.1: private/],
    ['http://169.254.169.254/latest/meta-data/', /refuses 169\.254\.169\.254: linkLocal/],
    ['http://[::ffff:127.0.0.1]/', /refuses ::ffff:7f00:1: loopback/],
    ['http://[::1]/', /loopback/],
    ['http://[fd00::1]/', /uniqueLocal/],
    ['http://0.0.0.0/', /unspecified/],
    ['http://internal.example/', /refuses internal\.example \(10\.1\.2\.3\): private/],
    ['http://mixed.example/', /refuses mixed\.example \(192\.168\.1\.5\): private/],
    ['http://metadata.example/', /linkLocal/],
    ['file:///etc/passwd', /only http and https/],
  ];
  for (const [url, reason] of refusedWithoutAllowList) {
    test(`When OUTBOUND_ALLOW is empty, then ${url} is refused`, async () => {
      const error = await refusal(url);
      assert.match(error.detail, reason);
      assert.equal(error.status, 422);
    });
  }

  test('When a public-looking URL redirects to a private address, then the hop is refused and the target never sees a request', async () => {
    const before = secretService.requests.length;
    const error = await refusal(`${redirector.url}/to-secret`, ['127.0.0.2']);
    assert.match(error.detail, /refuses 127\.0\.0\.1: loopback/);
    const metadata = await refusal(`${redirector.url}/to-metadata`, ['127.0.0.2']);
    assert.match(metadata.detail, /169\.254\.169\.254: linkLocal/);
    assert.equal(redirector.requests.length, 2, 'the first hop was allowed');
    assert.equal(secretService.requests.length, before);
  });

  test('When OUTBOUND_ALLOW lists a CIDR, then addresses inside it are reachable', async () => {
    const executor = executorWith(['127.0.0.0/8']);
    try {
      const outputs = await executor.execute(skill({ name: 'Allowed', optional_produces: ['whole'], rest: { url: `${secretService.url}/ok`, response: { whole: '$' } } }), {}, {});
      assert.equal(outputs.whole, 'internal data');
    } finally {
      await executor.close();
    }
  });

  test('When a credential skill runs with no request identity and no AuthContext, then it fails with the original message', async () => {
    const saved = AuthContext.getProcessUser();
    AuthContext.reset();
    const executor = executorWith(['127.0.0.1']);
    try {
      const skills = new SkillService(SkillRegistry.fromSkills([skill({ name: 'NeedsCred', rest: { url: `${secretService.url}/x`, credential_ref: 'github' } })]), [executor], 0);
      await assert.rejects(skills.execute('NeedsCred', {}), (error: Error) => {
        assert.equal(error.message, MISSING_USER_CONTEXT_MESSAGE);
        assert.match(error.message, /^user_context required for secure credentials/);
        return true;
      });
    } finally {
      await executor.close();
      if (saved) AuthContext.initialize(saved);
    }
  });
});
