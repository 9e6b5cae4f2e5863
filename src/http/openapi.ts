import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { createCredentialSchema, updateCredentialSchema } from '../credentials/credential-types';
import { executeSkillSchema } from '../skills/skill-service';

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
const body = (schema: z.ZodType) => ({ required: true, content: { 'application/json': { schema: json(schema) } } });
const problem = { description: 'problem details (RFC 9457)', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
const ok = (description: string) => ({ description, content: { 'application/json': { schema: { type: 'object' } } } });
const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };
const userParam = { name: 'user', in: 'query', required: false, description: 'admins only: act for this user', schema: { type: 'string' } };
const errors = { 400: problem, 401: problem, 403: problem, 404: problem };

/** What the Swagger UI page at /docs/ loads (paths relative to /docs); `/` is the page itself. */
const DOCS_FILES: ReadonlySet<string> = new Set([
  '/',
  '/swagger-ui.css',
  '/swagger-ui-bundle.js',
  '/swagger-ui-standalone-preset.js',
  '/swagger-ui-init.js',
  '/favicon-32x32.png',
  '/favicon-16x16.png',
]);

/** OpenAPI 3.1, built from the same zod schemas that validate the requests. */
export function openApiDocument(version: string) {
  return {
    openapi: '3.1.0',
    info: { title: 'sop-orchestrator', version, description: 'Skills and SOP runs with per-user encrypted credentials, on a PM2 cluster.' },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'API key (sop_…) or JWT' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'detail'],
          properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' }, instance: { type: 'string' } },
        },
      },
    },
    security: [{ bearer: [] }, { apiKey: [] }],
    paths: {
      '/health': { get: { summary: 'liveness', security: [], responses: { 200: ok('instance, pid, uptime') } } },
      '/health/ready': { get: { summary: 'readiness (AuthContext and store)', security: [], responses: { 200: ok('ready'), 503: problem } } },
      '/skills': { get: { summary: 'skill catalogue', responses: { 200: ok('skills'), ...errors } } },
      '/skills/{name}': { get: { summary: 'one skill', parameters: [nameParam], responses: { 200: ok('skill'), ...errors } } },
      '/skills/{name}/execute': {
        post: {
          summary: "execute a skill with the caller's credentials",
          parameters: [nameParam],
          requestBody: body(executeSkillSchema),
          responses: { 200: ok('{skill, status, outputs, durationMs, instance}'), ...errors, 422: problem, 502: problem, 504: problem },
        },
      },
      '/credentials': {
        get: { summary: "the caller's credentials (metadata only)", parameters: [userParam], responses: { 200: ok('credentials'), ...errors } },
        post: { summary: 'store a credential', parameters: [userParam], requestBody: body(createCredentialSchema), responses: { 201: ok('metadata'), ...errors, 409: problem } },
      },
      '/credentials/{name}': {
        get: { summary: 'metadata of one credential', parameters: [nameParam, userParam], responses: { 200: ok('metadata'), ...errors } },
        put: { summary: 'change a credential (data is merged)', parameters: [nameParam, userParam], requestBody: body(updateCredentialSchema), responses: { 200: ok('metadata'), ...errors } },
        delete: { summary: 'delete a credential', parameters: [nameParam, userParam], responses: { 204: { description: 'deleted' }, ...errors } },
      },
    },
  };
}

/** GET /openapi.json, and the Swagger UI to be mounted at /docs. */
export function openApiHandlers(version: string): { document: RequestHandler; docs: RequestHandler } {
  const document = openApiDocument(version);
  // Swagger UI costs ~90 ms to load: only when someone opens /docs, not at every instance start.
  // swagger-ui-express answers every method and every path below its mount with the page (and
  // /…/package.json with a text/plain 404): only GET/HEAD of the page and the files it loads get
  // there, anything else falls through to the API's problem+json 404.
  let ui: Router | undefined;
  return {
    document: (_req, res) => {
      res.json(document);
    },
    docs: (req, res, next) => {
      if ((req.method !== 'GET' && req.method !== 'HEAD') || !DOCS_FILES.has(req.path)) {
        next();
        return;
      }
      ui ??= Router().use((require('swagger-ui-express') as typeof import('swagger-ui-express')).serve, lazySetup(document));
      ui(req, res, next);
    },
  };
}

function lazySetup(document: object): RequestHandler {
  return (require('swagger-ui-express') as typeof import('swagger-ui-express')).setup(document);
}
