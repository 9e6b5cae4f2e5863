import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { AuthContext } from '../auth/auth-context';
import type { CredentialService, ResolvedCredential } from '../credentials/credential-service';
import { OutboundRefusedError, type OutboundPolicy } from './outbound-policy';
import { readResponsePath, parseResponsePath } from './response-path';
import type { RestOptions, Skill } from './skill-definition';
import { SkillCancelledError, SkillFailedError, type ExecutionContext, type SkillExecutor, type SkillInputs, type SkillOutputs } from './skill-executor';
import { renderHeader, renderUrl, renderValue, type TemplateContext } from './template';
import { AppError } from '../errors/app-error';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from '../http/json-depth';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const RETRYABLE_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

export interface RestExecutorOptions {
  readonly credentials: CredentialService;
  readonly policy: OutboundPolicy;
  /** `{service.url}` in skill URLs: this instance's own base URL. */
  readonly serviceUrl: string;
  readonly dispatcher?: Dispatcher;
}

interface PreparedRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string | undefined;
  /** Credential material, applied only while the request stays on the original origin. */
  credentialHeaders: Record<string, string>;
  credentialQuery: [string, string] | undefined;
}

interface UpstreamResponse {
  status: number;
  body: unknown;
}

/** Executes `executor: rest` skills with undici, injecting the current user's credential. */
export class RestExecutor implements SkillExecutor {
  readonly kind = 'rest';
  #undici: typeof import('undici') | undefined;
  #dispatcher: Dispatcher | undefined;
  /** Response paths parsed once per skill, not per call. */
  readonly #outputPaths = new WeakMap<Skill, OutputPaths>();

  constructor(private readonly options: RestExecutorOptions) {
    this.#dispatcher = options.dispatcher;
  }

  /** undici (~80 ms to load) is loaded by the first execution, not at every instance start. */
  #client(): { request: typeof import('undici').request; dispatcher: Dispatcher } {
    this.#undici ??= require('undici') as typeof import('undici');
    this.#dispatcher ??= new this.#undici.Agent({ connect: { lookup: this.options.policy.lookup }, keepAliveTimeout: 10_000, connections: 128 });
    return { request: this.#undici.request, dispatcher: this.#dispatcher };
  }

  safeToRepeat(skill: Skill): boolean {
    return IDEMPOTENT.has(skill.definition.rest.method);
  }

  async close(): Promise<void> {
    // Only a dispatcher this executor created; one passed in belongs to the caller.
    if (this.#dispatcher && this.#dispatcher !== this.options.dispatcher) await this.#dispatcher.close();
  }

  async execute(skill: Skill, inputs: SkillInputs, context: ExecutionContext): Promise<SkillOutputs> {
    const rest = skill.definition.rest;
    const name = skill.definition.name;
    const credential = rest.credential_ref ? await this.#resolveCredential(name, rest.credential_ref, context) : undefined;
    const prepared = this.#prepare(rest, { ...inputs, service: { url: this.options.serviceUrl } }, credential);
    const response = await this.#sendWithRetries(name, rest, prepared, context.signal);
    if (response.status < 200 || response.status > 299) {
      throw new SkillFailedError(502, name, `upstream answered HTTP ${response.status}`, { upstreamStatus: response.status, code: 'upstream-status' });
    }
    let paths = this.#outputPaths.get(skill);
    if (!paths) this.#outputPaths.set(skill, (paths = compileOutputs(skill)));
    return mapOutputs(skill, paths, response.body);
  }

  async #resolveCredential(skill: string, ref: string, context: ExecutionContext): Promise<ResolvedCredential> {
    // Throws the predecessor's "user_context required for secure credentials" when there is no identity at all.
    const user = context.user ?? AuthContext.getCurrentUser();
    return this.options.credentials.resolve(user.userId, ref, { actor: user.userId, via: `skill:${skill}` });
  }

  #prepare(rest: RestOptions, context: TemplateContext, credential: ResolvedCredential | undefined): PreparedRequest {
    const url = renderUrl(rest.url, context);
    for (const [key, template] of Object.entries(rest.query)) {
      const value = renderValue(template, context);
      if (value !== undefined && value !== null) url.searchParams.set(key, typeof value === 'string' ? value : JSON.stringify(value));
    }
    const headers: Record<string, string> = {};
    for (const [key, template] of Object.entries(rest.headers)) headers[key.toLowerCase()] = renderHeader(template, context);
    let body: string | undefined;
    if (rest.body !== undefined) {
      body = JSON.stringify(renderValue(rest.body, context));
      headers['content-type'] ??= 'application/json';
    }
    const prepared: PreparedRequest = { method: rest.method, url, headers, body, credentialHeaders: {}, credentialQuery: undefined };
    if (credential) applyCredential(prepared, credential);
    return prepared;
  }

  async #sendWithRetries(skill: string, rest: RestOptions, prepared: PreparedRequest, signal: AbortSignal | undefined): Promise<UpstreamResponse> {
    const attempts = IDEMPOTENT.has(rest.method) ? rest.retries + 1 : 1;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const response = await this.#follow(skill, rest, prepared, signal);
        if (attempt < attempts && RETRYABLE_STATUS.has(response.status)) {
          await backoff(attempt, signal);
          continue;
        }
        return response;
      } catch (error) {
        if (attempt < attempts && isRetryable(error)) {
          await backoff(attempt, signal).catch(() => undefined);
          if (signal?.aborted) throw new SkillCancelledError(skill);
          continue;
        }
        throw translate(skill, rest, error, signal);
      }
    }
  }

  /** Sends the request, following redirects by hand so every hop passes the outbound policy. */
  async #follow(skill: string, rest: RestOptions, prepared: PreparedRequest, signal: AbortSignal | undefined): Promise<UpstreamResponse> {
    const origin = prepared.url.origin;
    let url = prepared.url;
    let method = prepared.method;
    let body = prepared.body;
    for (let hop = 0; ; hop += 1) {
      this.options.policy.checkUrl(url);
      // Credentials never follow a redirect to another origin.
      const sameOrigin = url.origin === origin;
      let target = url;
      if (sameOrigin && prepared.credentialQuery) {
        target = new URL(url);
        target.searchParams.set(...prepared.credentialQuery);
      }
      const headers = requestHeaders(prepared, sameOrigin, body !== undefined);
      // `timeout` bounds the wait for the response headers and every pause while reading the body,
      // with undici's own timers (an AbortSignal + timer per call cost ~25% of the call). Only a
      // caller that can cancel (a run) passes a signal, which aborts the call at once.
      const timeoutMs = rest.timeout * 1000;
      const client = this.#client();
      const response = await client.request(target, {
        method: method as Dispatcher.HttpMethod,
        headers,
        body: body ?? null,
        dispatcher: client.dispatcher,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        ...(signal && { signal }),
      });
      const location = response.headers.location;
      if (!REDIRECTS.has(response.statusCode) || typeof location !== 'string') {
        return { status: response.statusCode, body: await readBody(skill, response, rest.max_response_bytes) };
      }
      await response.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      if (hop >= MAX_REDIRECTS) throw new SkillFailedError(502, skill, `more than ${MAX_REDIRECTS} redirects`, { code: 'too-many-redirects' });
      url = new URL(location, url);
      if (response.statusCode === 303 || ((response.statusCode === 301 || response.statusCode === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
      }
    }
  }
}

/** The skill's headers, the credential's only on the original origin, content-type only with a body. */
function requestHeaders(prepared: PreparedRequest, sameOrigin: boolean, withBody: boolean): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(prepared.headers)) {
    if (withBody || name !== 'content-type') headers[name] = value;
  }
  return sameOrigin ? Object.assign(headers, prepared.credentialHeaders) : headers;
}

function applyCredential(prepared: PreparedRequest, credential: ResolvedCredential): void {
  const data = credential.data;
  switch (credential.type) {
    case 'bearer':
      prepared.credentialHeaders.authorization = `Bearer ${String(data.token)}`;
      return;
    case 'basic':
      prepared.credentialHeaders.authorization = `Basic ${Buffer.from(`${String(data.username)}:${String(data.password)}`).toString('base64')}`;
      return;
    case 'header':
      prepared.credentialHeaders[String(data.header).toLowerCase()] = String(data.value);
      return;
    case 'query':
      prepared.credentialQuery = [String(data.param), String(data.value)];
      return;
    case 'database':
      throw AppError.unprocessable(`credential "${credential.name}" is a database credential; REST skills need bearer, basic, header or query`);
  }
}

async function readBody(skill: string, response: Dispatcher.ResponseData, limit: number): Promise<unknown> {
  const declared = response.headers['content-length'];
  if (Number(declared ?? 0) > limit) {
    discard(response.body);
    throw oversized(skill, limit);
  }
  // With a Content-Length the parser cannot deliver more than declared: read it in one go.
  const text = declared !== undefined ? await response.body.text() : await readLimited(skill, response.body, limit);
  if (text.length === 0) return null;
  const type = String(response.headers['content-type'] ?? '');
  if (type.includes('json') || /^\s*[[{]/.test(text)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text) as unknown;
    } catch {
      if (type.includes('json')) throw new SkillFailedError(502, skill, 'upstream sent invalid JSON', { code: 'upstream-invalid-json' });
      return text;
    }
    // Same limit as request bodies: deeper documents would overflow JSON.stringify later.
    if (exceedsJsonDepth(parsed, MAX_JSON_DEPTH)) {
      throw new SkillFailedError(502, skill, `upstream JSON is nested more than ${MAX_JSON_DEPTH} levels deep`, { code: 'upstream-json-too-deep' });
    }
    return parsed;
  }
  return text;
}

async function readLimited(skill: string, body: Dispatcher.ResponseData['body'], limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      discard(body);
      throw oversized(skill, limit);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Destroying an unread undici body emits 'error' (an AbortError): swallow it, it is intended. */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

function oversized(skill: string, limit: number): SkillFailedError {
  return new SkillFailedError(502, skill, `upstream response is larger than max_response_bytes (${limit})`, { code: 'upstream-too-large' });
}

type OutputPaths = ReadonlyArray<[string, ReadonlyArray<string | number>]>;

function compileOutputs(skill: Skill): OutputPaths {
  const { produces, optional_produces: optional, rest } = skill.definition;
  const keys = new Set([...produces, ...optional, ...Object.keys(rest.response)]);
  return [...keys].map((key) => [key, parseResponsePath(rest.response[key] ?? `$.${key}`)]);
}

function mapOutputs(skill: Skill, paths: OutputPaths, body: unknown): SkillOutputs {
  const { produces } = skill.definition;
  const outputs: SkillOutputs = {};
  for (const [key, segments] of paths) {
    const value = readResponsePath(body, segments);
    if (value !== undefined) outputs[key] = value;
  }
  const missing = produces.filter((key) => outputs[key] === undefined);
  if (missing.length > 0) {
    throw new SkillFailedError(502, skill.definition.name, `upstream response lacks produces: ${missing.join(', ')}`, { code: 'missing-produces' });
  }
  return outputs;
}

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function isRetryable(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && RETRYABLE_ERRORS.has(code);
}

async function backoff(attempt: number, signal: AbortSignal | undefined): Promise<void> {
  await sleep(100 * 2 ** (attempt - 1) + Math.random() * 100, undefined, signal ? { signal } : undefined);
}

function translate(skill: string, rest: RestOptions, error: unknown, signal: AbortSignal | undefined): unknown {
  if (error instanceof AppError) return error;
  if (signal?.aborted) return new SkillCancelledError(skill);
  const refused = findCause(error, OutboundRefusedError);
  if (refused) return refused;
  const name = (error as { name?: string }).name;
  if (name === 'TimeoutError' || name === 'AbortError' || errorCode(error) === 'UND_ERR_HEADERS_TIMEOUT' || errorCode(error) === 'UND_ERR_BODY_TIMEOUT') {
    return new SkillFailedError(504, skill, `upstream did not answer within ${rest.timeout} s`, { code: 'upstream-timeout' });
  }
  const code = errorCode(error) ?? 'error';
  return new SkillFailedError(502, skill, `upstream connection failed (${code})`, { code: 'upstream-unreachable', cause: error });
}

function findCause<T>(error: unknown, type: new (...args: never[]) => T): T | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth += 1) {
    if (current instanceof type) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
