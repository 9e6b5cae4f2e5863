import { z } from 'zod';
import { credentialNameSchema } from '../credentials/credential-types';
import { parseResponsePath } from './response-path';

export const skillNameSchema = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, {
  message: 'must be 1-64 characters of A-Z a-z 0-9 _ - starting with a letter',
});

const fieldName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, { message: 'must be an identifier (A-Z a-z 0-9 _)' });
const scalar = z.union([z.string(), z.number(), z.boolean()]);

const responsePath = z.string().refine(
  (path) => {
    try {
      parseResponsePath(path);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be a response path such as $, $.a.b or $.items[0].name' },
);

export const restOptionsSchema = z
  .object({
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).default('GET'),
    url: z.string().min(1),
    query: z.record(z.string(), scalar).default({}),
    headers: z.record(z.string(), z.string()).default({}),
    body: z.unknown().optional(),
    credential_ref: credentialNameSchema.optional(),
    /** Seconds. */
    timeout: z.number().positive().max(300).default(10),
    /** Extra attempts, for idempotent methods only. */
    retries: z.number().int().min(0).max(5).default(0),
    max_response_bytes: z.number().int().positive().max(50 * 1024 * 1024).default(1024 * 1024),
    /** produces key ← response path; a produced key without an entry reads `$.<key>`. */
    response: z.record(fieldName, responsePath).default({}),
  })
  .strict();

export const skillDefinitionSchema = z.object({
  name: skillNameSchema,
  description: z.string().default(''),
  requires: z.array(fieldName).default([]),
  produces: z.array(fieldName).default([]),
  optional_produces: z.array(fieldName).default([]),
  executor: z.literal('rest', { message: 'must be "rest" (the only executor so far)' }),
  rest: restOptionsSchema,
});

export type RestOptions = z.infer<typeof restOptionsSchema>;
export type SkillDefinition = z.infer<typeof skillDefinitionSchema>;

export interface Skill {
  readonly definition: SkillDefinition;
  /** The markdown below the front-matter: the skill's documentation. */
  readonly documentation: string;
  /** Relative to SKILLS_DIR. */
  readonly file: string;
}

/** What GET /skills shows: the contract of a skill, without anything secret (there is none in a definition). */
export function describeSkill(skill: Skill) {
  const { definition } = skill;
  return {
    name: definition.name,
    description: definition.description,
    requires: definition.requires,
    produces: definition.produces,
    optional_produces: definition.optional_produces,
    executor: definition.executor,
    method: definition.rest.method,
    url: definition.rest.url,
    credential_ref: definition.rest.credential_ref ?? null,
    timeout: definition.rest.timeout,
    retries: definition.rest.retries,
  };
}
