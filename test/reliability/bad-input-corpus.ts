/**
 * The bad-input corpus of test/reliability/bad-input.test.ts: every case is one request, written
 * byte for byte, with the answer it must get. Generated per route where a problem applies to
 * every route (body parsing, headers, framing, methods), written out where it is route-specific.
 *
 * `by: 'app'`  — the service answers: a 4xx `application/problem+json` with a string `detail`.
 * `by: 'node'` — Node's HTTP parser rejects the request before Express sees it and writes a bare
 *                status line with `Connection: close` and no body: 400 for malformed framing
 *                (unknown method, control characters or raw non-ASCII in the request target or a
 *                header, obs-fold, bare LF, bad or duplicate framing headers, a body cut short by a
 *                hang-up, a missing Host header, an unknown HTTP version), 431 when the request
 *                line plus headers exceed Node's 16 KiB limit, 417 for an `Expect` other than
 *                100-continue.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { buildRequest, type RawRequestSpec } from '../helpers/raw-http';

export const ROUTES = [
  'GET /health',
  'GET /health/ready',
  'GET /skills',
  'GET /skills/:name',
  'POST /skills/:name/execute',
  'GET /credentials',
  'POST /credentials',
  'GET /credentials/:name',
  'PUT /credentials/:name',
  'DELETE /credentials/:name',
  'POST /runs',
  'GET /runs',
  'GET /runs/:id',
  'POST /runs/:id/cancel',
  'GET /openapi.json',
  'GET /docs',
  'GET /demo/greeting',
] as const;
export type RouteKey = (typeof ROUTES)[number];

export interface Expectation {
  readonly by: 'app' | 'node';
  /** The status, or the statuses that are right for this case. */
  readonly status: number | readonly number[];
  /** For `by: 'app'`: what the problem's `detail` must say. */
  readonly detail?: RegExp;
}

export interface BadInputCase {
  readonly route: RouteKey;
  readonly name: string;
  readonly request: Buffer;
  /** Half-close our side after writing (a body cut short by a client that hangs up). */
  readonly halfClose?: boolean;
  readonly expect: Expectation;
}

export interface CorpusContext {
  readonly port: number;
  /** A valid API key of an ordinary (non-admin) user. */
  readonly apiKey: string;
  /** AUTH_JWT_SECRET of the cluster, to forge tokens that are wrong in one way only. */
  readonly jwtSecret: string;
  /** A credential of the API key's user that exists. */
  readonly existingCredential: string;
  /** A run of the API key's user that has already ended. */
  readonly ownFinishedRun: string;
  /** A run that belongs to another user. */
  readonly othersRun: string;
  /** That other user's id. */
  readonly otherUser: string;
}

type Header = readonly [string, string];

const JSON_TYPE: Header = ['Content-Type', 'application/json'];
const app = (status: number | readonly number[], detail?: RegExp): Expectation => ({ by: 'app', status, ...(detail && { detail }) });
const node = (status: number): Expectation => ({ by: 'node', status });

/** `{"a":[[[[…]]]]}`-style nesting far deeper than any real payload (V8's JSON.stringify overflows on it). */
export const DEEP_JSON = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;

/** A JWT signed with HS256 by `secret`, or unsigned (`alg: none`) when secret is undefined. */
function jwt(payload: Record<string, unknown>, secret: string | undefined): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const head = `${part({ alg: secret === undefined ? 'none' : 'HS256', typ: 'JWT' })}.${part(payload)}`;
  return `${head}.${secret === undefined ? '' : createHmac('sha256', secret).update(head).digest('base64url')}`;
}

function chunked(body: string, size = 16 * 1024): Buffer {
  const data = Buffer.from(body);
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) {
    const chunk = data.subarray(at, at + size);
    parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

interface RouteSpec {
  readonly key: RouteKey;
  readonly method: string;
  readonly path: string;
  readonly auth: boolean;
  /** A plausible body for the route, so that only the thing under test is wrong. */
  readonly body?: string;
  /** Where a name or id sits in the path: `prefix + name + suffix`. */
  readonly param?: { readonly prefix: string; readonly suffix: string; readonly family: 'skill' | 'credential' | 'run' };
}

/**
 * Names and ids that try to leave their namespace or break decoding. Expected status per family:
 * skills and runs are looked up as opaque keys (404 when absent); credential names must match
 * their pattern (400 otherwise, 404 when valid but absent); undecodable percent-encoding is a 400
 * from the router.
 */
const NAME_TRICKS: ReadonlyArray<{ readonly label: string; readonly segment: string; readonly skill: number; readonly credential: number; readonly run: number }> = [
  { label: 'path traversal ..%2F..%2Fetc%2Fpasswd', segment: '..%2F..%2Fetc%2Fpasswd', skill: 404, credential: 400, run: 404 },
  { label: 'encoded dots %2e%2e', segment: '%2e%2e', skill: 404, credential: 400, run: 404 },
  { label: 'encoded traversal to package.json', segment: '%2e%2e%2f%2e%2e%2fpackage.json', skill: 404, credential: 400, run: 404 },
  { label: 'backslash traversal ..%5C..%5C', segment: '..%5C..%5Cwindows%5Cwin.ini', skill: 404, credential: 400, run: 404 },
  { label: 'literal ..', segment: '..', skill: 404, credential: 400, run: 404 },
  { label: 'encoded NUL inside a%00b', segment: 'a%00b', skill: 404, credential: 400, run: 404 },
  { label: 'encoded NUL alone', segment: '%00', skill: 404, credential: 400, run: 404 },
  { label: 'encoded slash a%2Fb', segment: 'a%2Fb', skill: 404, credential: 400, run: 404 },
  { label: 'double-encoded dots %252e%252e', segment: '%252e%252e', skill: 404, credential: 400, run: 404 },
  { label: 'bad percent-encoding %ZZ', segment: '%ZZ', skill: 400, credential: 400, run: 400 },
  { label: 'lone % sign', segment: 'a%', skill: 400, credential: 400, run: 400 },
  { label: 'truncated UTF-8 %E0%A4%A', segment: '%E0%A4%A', skill: 400, credential: 400, run: 400 },
  { label: 'overlong UTF-8 dots %C0%AE%C0%AE', segment: '%C0%AE%C0%AE', skill: 400, credential: 400, run: 400 },
  { label: 'encoded lone surrogate %ED%A0%80', segment: '%ED%A0%80', skill: 400, credential: 400, run: 400 },
  { label: '__proto__', segment: '__proto__', skill: 404, credential: 400, run: 404 },
  { label: 'constructor', segment: 'constructor', skill: 404, credential: 404, run: 404 },
  { label: 'hasOwnProperty', segment: 'hasOwnProperty', skill: 404, credential: 404, run: 404 },
  { label: 'encoded emoji', segment: '%F0%9F%92%A9', skill: 404, credential: 400, run: 404 },
  { label: 'encoded right-to-left override', segment: '%E2%80%AEtxt.exe', skill: 404, credential: 400, run: 404 },
  { label: 'encoded CRLF header injection', segment: 'a%0D%0ASet-Cookie:%20x=1', skill: 404, credential: 400, run: 404 },
  { label: 'SQL quote injection', segment: "%27%20OR%20%271%27=%271", skill: 404, credential: 400, run: 404 },
  { label: '5000-character name', segment: 'x'.repeat(5000), skill: 404, credential: 400, run: 404 },
];

export function buildCorpus(ctx: CorpusContext): BadInputCase[] {
  const cases: BadInputCase[] = [];
  const auth: Header = ['Authorization', `Bearer ${ctx.apiKey}`];
  const add = (route: RouteKey, name: string, spec: RawRequestSpec, expect: Expectation, halfClose = false) =>
    cases.push({ route, name, request: buildRequest(ctx.port, spec), expect, ...(halfClose && { halfClose }) });
  const addRaw = (route: RouteKey, name: string, raw: string, expect: Expectation) => cases.push({ route, name, request: Buffer.from(raw, 'latin1'), expect });

  const credentialBody = (name: string) => JSON.stringify({ name, type: 'bearer', data: { token: 'tok-123' } });
  const routes: RouteSpec[] = [
    { key: 'GET /health', method: 'GET', path: '/health', auth: false },
    { key: 'GET /health/ready', method: 'GET', path: '/health/ready', auth: false },
    { key: 'GET /skills', method: 'GET', path: '/skills', auth: true },
    { key: 'GET /skills/:name', method: 'GET', path: '/skills/DemoGreeting', auth: true, param: { prefix: '/skills/', suffix: '', family: 'skill' } },
    {
      key: 'POST /skills/:name/execute',
      method: 'POST',
      path: '/skills/DemoGreeting/execute',
      auth: true,
      body: '{"inputs":{"name":"Ada"}}',
      param: { prefix: '/skills/', suffix: '/execute', family: 'skill' },
    },
    { key: 'GET /credentials', method: 'GET', path: '/credentials', auth: true },
    { key: 'POST /credentials', method: 'POST', path: '/credentials', auth: true, body: credentialBody('fresh-one') },
    {
      key: 'GET /credentials/:name',
      method: 'GET',
      path: `/credentials/${ctx.existingCredential}`,
      auth: true,
      param: { prefix: '/credentials/', suffix: '', family: 'credential' },
    },
    {
      key: 'PUT /credentials/:name',
      method: 'PUT',
      path: `/credentials/${ctx.existingCredential}`,
      auth: true,
      body: '{"description":"changed"}',
      param: { prefix: '/credentials/', suffix: '', family: 'credential' },
    },
    {
      key: 'DELETE /credentials/:name',
      method: 'DELETE',
      path: `/credentials/${ctx.existingCredential}`,
      auth: true,
      param: { prefix: '/credentials/', suffix: '', family: 'credential' },
    },
    { key: 'POST /runs', method: 'POST', path: '/runs', auth: true, body: '{"steps":["ProtoProbe"]}' },
    { key: 'GET /runs', method: 'GET', path: '/runs', auth: true },
    { key: 'GET /runs/:id', method: 'GET', path: `/runs/${ctx.ownFinishedRun}`, auth: true, param: { prefix: '/runs/', suffix: '', family: 'run' } },
    {
      key: 'POST /runs/:id/cancel',
      method: 'POST',
      path: `/runs/${ctx.ownFinishedRun}/cancel`,
      auth: true,
      param: { prefix: '/runs/', suffix: '/cancel', family: 'run' },
    },
    { key: 'GET /openapi.json', method: 'GET', path: '/openapi.json', auth: false },
    { key: 'GET /docs', method: 'GET', path: '/docs/', auth: false },
    { key: 'GET /demo/greeting', method: 'GET', path: '/demo/greeting?name=Ada', auth: false },
  ];

  // ---------------------------------------------------------------------------------------------
  // 1. Problems that apply to every route: the body parser runs before routing and before auth,
  //    and Node's parser before everything. Authenticated, so the answer is about the input.
  for (const r of routes) {
    const headers = (...more: Header[]): Header[] => [auth, ...more];
    const send = (name: string, spec: Partial<RawRequestSpec>, expect: Expectation, halfClose = false) =>
      add(r.key, name, { method: r.method, target: r.path, headers: headers(), ...spec }, expect, halfClose);
    const invalidJson = /not valid JSON/;

    send('malformed JSON', { headers: headers(JSON_TYPE), body: '{"inputs": {"name": }' }, app(400, invalidJson));
    send('truncated JSON', { headers: headers(JSON_TYPE), body: '{"name":"ab","type":"bear' }, app(400, invalidJson));
    send('raw control character inside a JSON string', { headers: headers(JSON_TYPE), body: '{"name":"a\u0001b"}' }, app(400, invalidJson));
    send('top-level JSON string (strict parser)', { headers: headers(JSON_TYPE), body: '"just a string"' }, app(400, invalidJson));
    send('single quotes and trailing comma (not JSON)', { headers: headers(JSON_TYPE), body: "{'inputs': {},}" }, app(400, invalidJson));
    send('body of 300 kB (limit 256 kB)', { headers: headers(JSON_TYPE), body: JSON.stringify({ pad: 'a'.repeat(300 * 1024) }) }, app(413, /larger than the limit/));
    send(
      'chunked body of 300 kB without Content-Length',
      { headers: headers(JSON_TYPE, ['Transfer-Encoding', 'chunked']), body: chunked(JSON.stringify({ pad: 'a'.repeat(300 * 1024) })), contentLength: null },
      app(413, /larger than the limit/),
    );
    send('charset that does not exist (utf-99)', { headers: headers(['Content-Type', 'application/json; charset=utf-99']), body: '{}' }, app(415, /charset/i));
    send('Content-Encoding: gzip with a body that is not gzip', { headers: headers(JSON_TYPE, ['Content-Encoding', 'gzip']), body: 'not gzip at all' }, app(400));
    send('Content-Encoding: compress (unsupported)', { headers: headers(JSON_TYPE, ['Content-Encoding', 'compress']), body: '{}' }, app(415, /content encoding/));
    send('method that no route has (PATCH)', { method: 'PATCH' }, app(404, /no route for PATCH/));
    send('header of 20 KiB (Node limit 16 KiB)', { headers: headers(['X-Pad', 'a'.repeat(20 * 1024)]) }, node(431));
    send('request target of 20 KiB', { target: `${r.path}${r.path.includes('?') ? '&' : '?'}q=${'a'.repeat(20 * 1024)}` }, node(431));
    send('unknown method BREW', { method: 'BREW' }, node(400));
    send('raw control character in the request target', { target: `${r.path}\u0001` }, node(400));
    send('raw non-ASCII bytes in the request target', { target: `${r.path.split('?')[0]}ü` }, node(400));
    send('Content-Length and Transfer-Encoding together (smuggling)', { headers: headers(JSON_TYPE, ['Transfer-Encoding', 'chunked']), body: '2\r\n{}\r\n0\r\n\r\n', contentLength: 5 }, node(400));
    send('Content-Length that is not a number', { headers: headers(JSON_TYPE, ['Content-Length', 'abc']), contentLength: null }, node(400));
    send('body shorter than Content-Length, then the client hangs up', { headers: headers(JSON_TYPE), body: '{"name":', contentLength: 100 }, node(400), true);
  }

  // ---------------------------------------------------------------------------------------------
  // 2. Authentication on every authenticated route: missing, garbage, forged, expired.
  const otherSecret = 'not-the-secret-'.repeat(4);
  const now = Math.floor(Date.now() / 1000);
  const authCases: ReadonlyArray<{ label: string; headers: Header[]; expect: Expectation }> = [
    { label: 'no credentials', headers: [], expect: app(401, /authentication required/) },
    { label: 'Authorization: Bearer with no token', headers: [['Authorization', 'Bearer']], expect: app(401) },
    { label: 'Authorization: Basic', headers: [['Authorization', 'Basic dXNlcjpwYXNz']], expect: app(401) },
    { label: 'truncated API key', headers: [['Authorization', 'Bearer sop_short']], expect: app(401, /API key/) },
    { label: 'well-formed unknown API key', headers: [['Authorization', `Bearer sop_${randomBytes(32).toString('base64url')}`]], expect: app(401, /API key/) },
    { label: 'X-API-Key with characters outside base64url', headers: [['X-API-Key', `sop_${'!'.repeat(43)}`]], expect: app(401) },
    { label: 'X-API-Key with UTF-8 text', headers: [['X-API-Key', 'ключ-🔑']], expect: app(401) },
    { label: 'garbage X-API-Key beside a valid Bearer key (X-API-Key wins)', headers: [['X-API-Key', 'garbage'], auth], expect: app(401) },
    { label: 'garbage first of two Authorization headers (Node keeps the first)', headers: [['Authorization', 'Bearer garbage'], auth], expect: app(401) },
    { label: 'three-part token that is not a JWT', headers: [['Authorization', 'Bearer not.a.jwt']], expect: app(401, /JWT/) },
    { label: 'unsigned JWT (alg none)', headers: [['Authorization', `Bearer ${jwt({ sub: 'fuzz', exp: now + 600 }, undefined)}`]], expect: app(401) },
    { label: 'JWT signed with another secret', headers: [['Authorization', `Bearer ${jwt({ sub: 'fuzz', exp: now + 600 }, otherSecret)}`]], expect: app(401, /JWT/) },
    { label: 'expired JWT', headers: [['Authorization', `Bearer ${jwt({ sub: 'fuzz', exp: now - 600 }, ctx.jwtSecret)}`]], expect: app(401, /JWT/) },
    { label: 'JWT whose sub is a path', headers: [['Authorization', `Bearer ${jwt({ sub: '../../etc/passwd', exp: now + 600 }, ctx.jwtSecret)}`]], expect: app(401, /JWT/) },
    { label: 'JWT whose sub is an object', headers: [['Authorization', `Bearer ${jwt({ sub: { id: 'fuzz' }, roles: ['admin'], exp: now + 600 }, ctx.jwtSecret)}`]], expect: app(401, /JWT/) },
    { label: 'token of 12 000 characters', headers: [['Authorization', `Bearer ${'A'.repeat(12_000)}`]], expect: app(401) },
    { label: 'raw control character in Authorization', headers: [['Authorization', 'Bearer a\u0001b']], expect: node(400) },
  ];
  for (const r of routes.filter((route) => route.auth)) {
    for (const c of authCases) {
      const bodyHeaders: Header[] = r.body === undefined ? [] : [JSON_TYPE];
      add(r.key, `auth: ${c.label}`, { method: r.method, target: r.path, headers: [...c.headers, ...bodyHeaders], ...(r.body !== undefined && { body: r.body }) }, c.expect);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // 3. Names and ids in paths.
  for (const r of routes) {
    if (!r.param) continue;
    const { prefix, suffix, family } = r.param;
    for (const trick of NAME_TRICKS) {
      const bodyHeaders: Header[] = r.body === undefined ? [] : [JSON_TYPE];
      add(
        r.key,
        `name: ${trick.label}`,
        { method: r.method, target: `${prefix}${trick.segment}${suffix}`, headers: [auth, ...bodyHeaders], ...(r.body !== undefined && { body: r.body }) },
        app(trick[family]),
      );
    }
  }

  // ---------------------------------------------------------------------------------------------
  // 4. Route-specific cases.
  const get = (route: RouteKey, name: string, target: string, expect: Expectation, more: Header[] = [auth]) =>
    add(route, name, { method: 'GET', target, headers: more }, expect);
  /** `type: null` sends no Content-Type at all. */
  const post = (route: RouteKey, name: string, method: string, target: string, body: string | Buffer, expect: Expectation, type: Header | null = JSON_TYPE) =>
    add(route, name, { method, target, headers: type ? [auth, type] : [auth], body }, expect);

  // Probes and API description: framing problems Node answers itself, and paths next to them.
  for (const route of ['GET /health', 'GET /health/ready'] as const) {
    const path = route.slice(4);
    addRaw(route, 'no Host header', `GET ${path} HTTP/1.1\r\nConnection: close\r\n\r\n`, node(400));
    addRaw(route, 'HTTP/9.9', `GET ${path} HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n`, node(400));
    addRaw(route, 'obsolete header line folding', `GET ${path} HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\nConnection: close\r\n\r\n`, node(400));
    addRaw(route, 'bare LF line endings', `GET ${path} HTTP/1.1\nHost: x\nConnection: close\n\n`, node(400));
    addRaw(route, 'space inside a header name', `GET ${path} HTTP/1.1\r\nHost: x\r\nBad Header: x\r\nConnection: close\r\n\r\n`, node(400));
    addRaw(route, 'space inside the request target', `GET ${path} x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, node(400));
    add(route, 'Expect other than 100-continue', { method: 'GET', target: path, headers: [['Expect', 'the-unexpected']] }, node(417));
    get(route, 'traversal below the probe', `${path}/..%2F..%2Fetc%2Fpasswd`, app(404));
    get(route, 'encoded NUL after the probe', `${path}%00`, app(404));
    add(route, 'POST to the probe', { method: 'POST', target: path, headers: [auth, JSON_TYPE], body: '{}' }, app(404));
    add(route, 'DELETE of the probe', { method: 'DELETE', target: path, headers: [auth] }, app(404));
  }
  // CONNECT is not routed by Express at all (Node emits 'connect'); this service is no proxy.
  addRaw('GET /health', 'CONNECT tunnel to another host', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', app(405, /not a proxy/));
  addRaw('GET /health', 'CONNECT to a path', 'CONNECT /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', app(405, /not a proxy/));
  get('GET /openapi.json', 'traversal below the document', '/openapi.json/..%2F..%2Fpackage.json', app(404));
  get('GET /openapi.json', 'encoded NUL after the document', '/openapi.json%00', app(404));
  get('GET /openapi.json', 'a neighbouring file name', '/openapi.yaml', app(404));
  add('GET /openapi.json', 'PUT over the document', { method: 'PUT', target: '/openapi.json', headers: [auth, JSON_TYPE], body: '{}' }, app(404));
  add('GET /openapi.json', 'Expect other than 100-continue', { method: 'GET', target: '/openapi.json', headers: [['Expect', 'the-unexpected']] }, node(417));
  // Swagger UI serves a fixed set of files under /docs; everything else is not found.
  for (const [label, target] of [
    ['package.json of swagger-ui-dist', '/docs/package.json'],
    ['traversal ..%2F..%2Fpackage.json', '/docs/..%2F..%2Fpackage.json'],
    ['encoded traversal %2e%2e/%2e%2e/package.json', '/docs/%2e%2e/%2e%2e/package.json'],
    ['bad percent-encoding', '/docs/%ZZ'],
    ['asset name with an encoded NUL', '/docs/swagger-ui-init.js%00'],
    ['a file that does not exist', '/docs/nope.js'],
    ['a file of the dist folder that the page does not use', '/docs/oauth2-redirect.html'],
    ['a folder below /docs', '/docs/sub/'],
  ] as const) {
    get('GET /docs', label, target, app([400, 404]));
  }
  add('GET /docs', 'POST to /docs/', { method: 'POST', target: '/docs/', headers: [auth, JSON_TYPE], body: '{}' }, app(404));
  add('GET /docs', 'DELETE of a docs asset', { method: 'DELETE', target: '/docs/swagger-ui.css', headers: [auth] }, app(404));

  // The demo upstream checks its own bearer token (the system user's `demo` credential).
  for (const [label, headers] of [
    ['no Authorization', []],
    ['Basic instead of Bearer', [['Authorization', 'Basic ZGVtbzpkZW1v']]],
    ['lower-case bearer', [['Authorization', 'bearer something']]],
    ['wrong token', [['Authorization', 'Bearer wrong-token']]],
    ['two tokens', [['Authorization', 'Bearer a b']]],
    ['an API key is not the demo token', [auth]],
    ['token of 12 000 characters', [['Authorization', `Bearer ${'t'.repeat(12_000)}`]]],
    ['token with UTF-8 text', [['Authorization', 'Bearer тoken']]],
  ] as ReadonlyArray<readonly [string, Header[]]>) {
    get('GET /demo/greeting', `demo auth: ${label}`, `/demo/greeting?name=${encodeURIComponent('<script>')}`, app(401), headers);
  }
  get('GET /demo/greeting', 'name as an array without a token', '/demo/greeting?name=a&name=b', app(401), []);

  // Skills catalogue.
  get('GET /skills', 'encoded slash after the collection', '/skills%2F', app(404));
  get('GET /skills', 'matrix parameter', '/skills;jsessionid=x', app(404));
  get('GET /skills/:name', 'a skill name with a trailing space', '/skills/DemoGreeting%20', app(404));

  // Executing skills: inputs that try to reach prototypes or placeholders, wrong shapes and types.
  const exec = (name: string, body: string, expect: Expectation, skill = 'DemoGreeting', type: Header | null = JSON_TYPE) =>
    post('POST /skills/:name/execute', name, 'POST', `/skills/${skill}/execute`, body, expect, type);
  const missingName = /missing required inputs: name/;
  exec('no inputs', '{}', app(400, missingName));
  exec('inputs is a string', '{"inputs":"Ada"}', app(400));
  exec('inputs is an array', '{"inputs":["Ada"]}', app(400));
  exec('inputs is null', '{"inputs":null}', app(400));
  exec('top-level array', '[]', app(400));
  exec('unknown top-level field (identity from the body)', '{"inputs":{"name":"Ada"},"as_user":"system"}', app(400));
  exec('required input is null', '{"inputs":{"name":null}}', app(400, missingName));
  exec('required input supplied through inputs.__proto__', '{"inputs":{"__proto__":{"name":"Ada"}}}', app(400, missingName));
  exec('required input supplied through constructor.prototype', '{"inputs":{"constructor":{"prototype":{"name":"Ada"}}}}', app(400, missingName));
  exec('placeholder-shaped input keys', '{"inputs":{"{__proto__}":"x","{constructor.prototype}":"y","{name}":"z"}}', app(400, missingName));
  exec('prototype pollution at the top level', '{"__proto__":{"inputs":{"name":"Ada"}},"inputs":{}}', app(400));
  exec('prototype pollution payload {"__proto__":{"polluted":1}}', '{"inputs":{"__proto__":{"polluted":1}}}', app(400, missingName));
  exec('a JSON body sent as text/plain is not parsed', '{"inputs":{"name":"Ada"}}', app(400, missingName), 'DemoGreeting', ['Content-Type', 'text/plain']);
  exec('a JSON body with no Content-Type is not parsed', '{"inputs":{"name":"Ada"}}', app(400, missingName), 'DemoGreeting', null);
  exec('a form body', 'inputs[name]=Ada', app(400, missingName), 'DemoGreeting', ['Content-Type', 'application/x-www-form-urlencoded']);
  exec('unknown skill', '{"inputs":{}}', app(404, /not found/), 'NoSuchSkill');
  exec('skill name in another case', '{"inputs":{"name":"Ada"}}', app(404, /not found/), 'demogreeting');
  // ProtoProbe's URL template is ".../{constructor.prototype}/{__proto__}": never resolvable.
  const protoMissing = /constructor\.prototype|__proto__/;
  exec('template {constructor.prototype} with no inputs', '{"inputs":{}}', app(400, protoMissing), 'ProtoProbe');
  exec('template {constructor.prototype} fed constructor.prototype', '{"inputs":{"constructor":{"prototype":"x"}}}', app(400, protoMissing), 'ProtoProbe');
  exec('template {__proto__} fed __proto__', '{"inputs":{"__proto__":"x","constructor":{"prototype":"y"}}}', app(400, protoMissing), 'ProtoProbe');
  exec('template fed a nested __proto__', '{"inputs":{"__proto__":{"constructor":{"prototype":"x"}}}}', app(400, protoMissing), 'ProtoProbe');
  exec('input nested 100 000 levels deep', `{"inputs":{"q":${DEEP_JSON}}}`, app(400, /nested/), 'DeepProbe');

  // Credentials: bodies.
  const createCred = (name: string, body: string | Buffer, expect: Expectation, type: Header | null = JSON_TYPE) =>
    post('POST /credentials', name, 'POST', '/credentials', body, expect, type);
  const cred = (fields: Record<string, unknown>) => JSON.stringify({ name: 'valid-name', type: 'bearer', data: { token: 't' }, ...fields });
  createCred('empty object', '{}', app(400));
  createCred('top-level array', '[]', app(400));
  createCred('name with traversal', cred({ name: '../x' }), app(400, /name/));
  createCred('name with an escaped NUL', cred({ name: 'a\u0000b' }), app(400, /name/));
  createCred('name with a lone surrogate', '{"name":"\\ud800","type":"bearer","data":{"token":"t"}}', app(400, /name/));
  createCred('name with a right-to-left override', cred({ name: '\u202Eexe.txt' }), app(400, /name/));
  createCred('name with non-ASCII letters', cred({ name: 'schlüssel' }), app(400, /name/));
  createCred('name of 65 characters', cred({ name: 'n'.repeat(65) }), app(400, /name/));
  createCred('name is a number', cred({ name: 42 }), app(400, /name/));
  createCred('name __proto__', cred({ name: '__proto__' }), app(400, /name/));
  createCred('type __proto__', cred({ type: '__proto__' }), app(400, /type/));
  createCred('type constructor', cred({ type: 'constructor' }), app(400, /type/));
  createCred('type toString', cred({ type: 'toString' }), app(400, /type/));
  createCred('data is a string', cred({ data: 'token' }), app(400, /data/));
  createCred('data is null', cred({ data: null }), app(400, /data/));
  createCred('data is an array', cred({ data: ['t'] }), app(400, /data/));
  createCred('token is a number', cred({ data: { token: 123 } }), app(400, /token/));
  createCred('token is empty', cred({ data: { token: '' } }), app(400, /token/));
  createCred('token of 5000 characters', cred({ data: { token: 't'.repeat(5000) } }), app(400, /token/));
  createCred('unknown data field', cred({ data: { token: 't', extra: 1 } }), app(400));
  createCred('secret supplied through data.__proto__', '{"name":"valid-name","type":"bearer","data":{"__proto__":{"token":"t"}}}', app(400));
  createCred('secret supplied through data.constructor.prototype', cred({ data: { constructor: { prototype: { token: 't' } } } }), app(400));
  createCred('whole credential supplied through __proto__', '{"__proto__":{"name":"p","type":"bearer","data":{"token":"t"}}}', app(400));
  createCred('prototype pollution payload {"__proto__":{"polluted":1}}', '{"__proto__":{"polluted":1},"name":"valid-name","type":"bearer","data":{"token":"t"}}', app(400));
  createCred('database port as a string', cred({ type: 'database', data: { dbType: 'postgres', host: 'h', port: '5432', database: 'd', username: 'u', password: 'p' } }), app(400, /port/));
  createCred('database port 70000', cred({ type: 'database', data: { dbType: 'postgres', host: 'h', port: 70_000, database: 'd', username: 'u', password: 'p' } }), app(400, /port/));
  createCred('header name with CRLF', cred({ type: 'header', data: { header: 'X-A\r\nInjected: 1', value: 'v' } }), app(400, /header/));
  createCred('description of 2000 characters', cred({ description: 'd'.repeat(2000) }), app(400, /description/));
  createCred('owner in the body', cred({ owner: ctx.otherUser }), app(400));
  createCred('secret nested 100 000 levels deep', `{"name":"valid-name","type":"bearer","data":{"token":${DEEP_JSON}}}`, app(400));
  createCred('name that exists already', credentialBody(ctx.existingCredential), app(409, /already exists/));
  createCred('valid JSON sent as text/plain is not parsed', credentialBody('plain-text'), app(400), ['Content-Type', 'text/plain']);
  createCred('valid JSON with no Content-Type is not parsed', credentialBody('no-type'), app(400), null);
  createCred('form body', 'name=x&type=bearer&data=t', app(400), ['Content-Type', 'application/x-www-form-urlencoded']);
  createCred('multipart body', '--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--b--\r\n', app(400), ['Content-Type', 'multipart/form-data; boundary=b']);
  createCred('XML body declared as JSON', '<credential name="x"/>', app(400, /not valid JSON/));
  createCred('charset=latin1', credentialBody('latin'), app(415, /charset/i), ['Content-Type', 'application/json; charset=latin1']);
  createCred('byte-order mark before an invalid body', '\uFEFF{"name":"../bom","type":"bearer","data":{"token":"t"}}', app(400));
  createCred('invalid UTF-8 bytes in a string', Buffer.concat([Buffer.from('{"name":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('","type":"bearer","data":{"token":"t"}}')]), app(400, /name/));
  add('POST /credentials', 'acting for another user without admin (?user=)', { method: 'POST', target: `/credentials?user=${ctx.otherUser}`, headers: [auth, JSON_TYPE], body: credentialBody('for-other') }, app(403));

  // Credentials: query parameters.
  for (const [label, query, status] of [
    ['another user (not admin)', `user=${ctx.otherUser}`, 403],
    ['user that is a path', 'user=..%2F..%2Fx', 400],
    ['user given twice', 'user=a&user=b', 400],
    ['empty user', 'user=', 400],
    ['user with an encoded NUL', 'user=%00', 400],
    ['user of 200 characters', `user=${'u'.repeat(200)}`, 400],
    ['user with an emoji', 'user=%F0%9F%92%A9', 400],
  ] as const) {
    get('GET /credentials', `?${label}`, `/credentials?${query}`, app(status));
  }
  get('GET /credentials/:name', 'another user’s credential (?user=, not admin)', `/credentials/${ctx.existingCredential}?user=${ctx.otherUser}`, app(403));
  get('GET /credentials/:name', 'a credential that does not exist', '/credentials/does-not-exist', app(404, /not found/));
  add('DELETE /credentials/:name', 'a credential that does not exist', { method: 'DELETE', target: '/credentials/does-not-exist', headers: [auth] }, app(404));
  add('DELETE /credentials/:name', 'with ?user= given twice', { method: 'DELETE', target: `/credentials/${ctx.existingCredential}?user=a&user=b`, headers: [auth] }, app(400));

  // Credentials: updates.
  const put = (name: string, body: string, expect: Expectation, target = `/credentials/${ctx.existingCredential}`) =>
    post('PUT /credentials/:name', name, 'PUT', target, body, expect);
  put('unknown type', '{"type":"nope"}', app(400, /type/));
  put('data is a string', '{"data":"x"}', app(400, /data/));
  put('renaming through the body', '{"name":"renamed"}', app(400));
  put('empty token', '{"data":{"token":""}}', app(400, /token/));
  put('type change without the new fields', '{"type":"basic"}', app(400));
  put('description is a number', '{"description":5}', app(400, /description/));
  put('prototype pollution at the top level', '{"__proto__":{"type":"basic"}}', app(400));
  put('prototype pollution payload {"__proto__":{"polluted":1}}', '{"__proto__":{"polluted":1}}', app(400));
  // A type change starts from empty data: fields smuggled in through prototypes must not count.
  put('new type with its fields in data.__proto__', '{"type":"basic","data":{"__proto__":{"username":"u","password":"p"}}}', app(400, /username|password/));
  put('new type with its fields in data.constructor.prototype', '{"type":"basic","data":{"constructor":{"prototype":{"username":"u","password":"p"}}}}', app(400));
  put('top-level array', '[]', app(400));
  put('token nested 100 000 levels deep', `{"data":{"token":${DEEP_JSON}}}`, app(400));
  put('a credential that does not exist', '{"description":"x"}', app(404, /not found/), '/credentials/does-not-exist');

  // Runs: bodies.
  const run = (name: string, body: string, expect: Expectation, type: Header | null = JSON_TYPE) => post('POST /runs', name, 'POST', '/runs', body, expect, type);
  const steps = (extra: Record<string, unknown>) => JSON.stringify({ steps: ['ProtoProbe'], ...extra });
  run('empty object', '{}', app(400, /steps/));
  run('top-level array', '[]', app(400));
  run('steps is a string', '{"steps":"ProtoProbe"}', app(400, /steps/));
  run('no steps', '{"steps":[]}', app(400, /at least one/));
  run('steps are numbers', '{"steps":[1,2]}', app(400, /steps/));
  run('a step is null', '{"steps":[null]}', app(400, /steps/));
  run('step name with traversal', '{"steps":["../ProtoProbe"]}', app(400, /steps/));
  run('step __proto__', '{"steps":["__proto__"]}', app(400, /steps/));
  run('step constructor', '{"steps":["constructor"]}', app(400, /unknown skills/));
  run('steps toString and hasOwnProperty', '{"steps":["toString","hasOwnProperty"]}', app(400, /unknown skills/));
  run('unknown skill', '{"steps":["NoSuchSkill"]}', app(400, /unknown skills/));
  run('non-ASCII step name', '{"steps":["Démo"]}', app(400, /steps/));
  run('51 steps (limit 50)', JSON.stringify({ steps: Array(51).fill('ProtoProbe') }), app(400, /at most/));
  run('initial_data is an array', steps({ initial_data: [] }), app(400, /initial_data/));
  run('initial_data is a string', steps({ initial_data: 'x' }), app(400, /initial_data/));
  run('initial_data is null', steps({ initial_data: null }), app(400, /initial_data/));
  run('initial_data nested 100 000 levels deep', `{"steps":["ProtoProbe"],"initial_data":{"a":${DEEP_JSON}}}`, app(400, /nested/));
  run('run_name of 201 characters', steps({ run_name: 'r'.repeat(201) }), app(400, /run_name/));
  run('run_name is a number', steps({ run_name: 5 }), app(400, /run_name/));
  run('callback_url javascript:', steps({ callback_url: 'javascript:alert(1)' }), app(400, /callback_url/));
  run('callback_url file:', steps({ callback_url: 'file:///etc/passwd' }), app(400, /callback_url/));
  run('callback_url with no host', steps({ callback_url: 'http://' }), app(400, /callback_url/));
  run('callback_url of 3000 characters', steps({ callback_url: `http://example.com/${'c'.repeat(3000)}` }), app(400, /callback_url/));
  run('owner in the body', steps({ owner: ctx.otherUser }), app(400));
  run('steps supplied through __proto__', '{"__proto__":{"steps":["ProtoProbe"]}}', app(400, /steps/));
  run('steps supplied through constructor.prototype', '{"constructor":{"prototype":{"steps":["ProtoProbe"]}}}', app(400));
  run('prototype pollution payload {"__proto__":{"polluted":1}}', '{"__proto__":{"polluted":1}}', app(400, /steps/));
  run('valid JSON sent as text/plain is not parsed', steps({}), app(400), ['Content-Type', 'text/plain']);
  run('valid JSON with no Content-Type is not parsed', steps({}), app(400), null);
  add('POST /runs', 'acting for another user without admin (?user=)', { method: 'POST', target: `/runs?user=${ctx.otherUser}`, headers: [auth, JSON_TYPE], body: steps({}) }, app(403));

  // Runs: list queries.
  for (const [label, query, status] of [
    ['limit=1e309 (Infinity)', 'limit=1e309', 400],
    ['limit=Infinity', 'limit=Infinity', 400],
    ['limit=-1', 'limit=-1', 400],
    ['limit=0', 'limit=0', 400],
    ['limit=101', 'limit=101', 400],
    ['limit=1.5', 'limit=1.5', 400],
    ['limit=abc', 'limit=abc', 400],
    ['limit= (empty)', 'limit=', 400],
    ['limit=%ZZ', 'limit=%ZZ', 400],
    ['limit=%00', 'limit=%00', 400],
    ['limit twice (array)', 'limit=1&limit=2', 400],
    ['offset=-1', 'offset=-1', 400],
    ['offset=1e309', 'offset=1e309', 400],
    ['offset=1000001', 'offset=1000001', 400],
    ['offset=NaN', 'offset=NaN', 400],
    ['status twice (array)', 'status=a&status=b', 400],
    ['two valid statuses (array)', 'status=completed&status=failed', 400],
    ['unknown status', 'status=bogus', 400],
    ['status=%00', 'status=%00', 400],
    ['status=__proto__', 'status=__proto__', 400],
    ['status=constructor', 'status=constructor', 400],
    ['another user (not admin)', `user=${ctx.otherUser}`, 403],
    ['user that is a path', 'user=..%2F..%2Fx', 400],
    ['user given twice', 'user=a&user=b', 400],
    ['empty user', 'user=', 400],
  ] as const) {
    get('GET /runs', `?${label}`, `/runs?${query}`, app(status));
  }

  // Runs: by id.
  get('GET /runs/:id', 'another user’s run', `/runs/${ctx.othersRun}`, app(404, /not found/));
  get('GET /runs/:id', 'another user’s run with ?user= (not admin)', `/runs/${ctx.othersRun}?user=${ctx.otherUser}`, app(403));
  get('GET /runs/:id', 'a random UUID', '/runs/00000000-0000-4000-8000-000000000000', app(404));
  add('POST /runs/:id/cancel', 'another user’s run', { method: 'POST', target: `/runs/${ctx.othersRun}/cancel`, headers: [auth] }, app(404, /not found/));
  add('POST /runs/:id/cancel', 'a run that has already ended', { method: 'POST', target: `/runs/${ctx.ownFinishedRun}/cancel`, headers: [auth] }, app(409, /already/));
  add('POST /runs/:id/cancel', 'a random UUID', { method: 'POST', target: '/runs/00000000-0000-4000-8000-000000000000/cancel', headers: [auth] }, app(404));
  add('POST /runs/:id/cancel', 'GET instead of POST', { method: 'GET', target: `/runs/${ctx.ownFinishedRun}/cancel`, headers: [auth] }, app(404));

  return cases;
}
