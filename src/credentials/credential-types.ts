import { z } from 'zod';

/** The offline demo credential `sopctl setup` creates for the system user (used by the DemoGreeting skill). */
export const DEMO_CREDENTIAL = 'demo';

/** Names users choose; no `/`, `..`, spaces or control characters, so they are safe anywhere. */
export const credentialNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
    message: 'must be 1-64 characters of A-Z a-z 0-9 . _ - and start with a letter or digit',
  });

const text = (max = 4096) => z.string().min(1).max(max);
const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/, { message: 'must be an HTTP header name' });

/**
 * Each type's fields. Secret fields are encrypted, write-only through the API and never logged;
 * the others are stored and returned as they are.
 */
export const CREDENTIAL_TYPES = {
  bearer: { secrets: ['token'], data: z.object({ token: text() }).strict() },
  basic: { secrets: ['password'], data: z.object({ username: text(256), password: text() }).strict() },
  header: { secrets: ['value'], data: z.object({ header: headerName, value: text() }).strict() },
  query: { secrets: ['value'], data: z.object({ param: text(128), value: text() }).strict() },
  database: {
    secrets: ['password'],
    data: z
      .object({
        dbType: z.enum(['postgres', 'mysql', 'sqlite', 'mssql', 'oracle', 'mongodb']),
        host: text(255),
        port: z.number().int().min(1).max(65535),
        database: text(255),
        username: text(256),
        password: text(),
      })
      .strict(),
  },
} as const;

export type CredentialType = keyof typeof CREDENTIAL_TYPES;
export const CREDENTIAL_TYPE_NAMES = Object.keys(CREDENTIAL_TYPES) as CredentialType[];

export function isCredentialType(type: string): type is CredentialType {
  return Object.hasOwn(CREDENTIAL_TYPES, type);
}

export function secretFieldsOf(type: CredentialType): readonly string[] {
  return CREDENTIAL_TYPES[type].secrets;
}

export const credentialTypeSchema = z.enum(CREDENTIAL_TYPE_NAMES as [CredentialType, ...CredentialType[]], {
  message: `must be one of ${CREDENTIAL_TYPE_NAMES.join(', ')}`,
});

export const createCredentialSchema = z
  .object({
    name: credentialNameSchema,
    type: credentialTypeSchema,
    description: z.string().max(1000).default(''),
    data: z.record(z.string(), z.unknown()),
  })
  .strict();

export const updateCredentialSchema = z
  .object({
    type: credentialTypeSchema.optional(),
    description: z.string().max(1000).optional(),
    /** Merged over the stored values: send only what changes (e.g. a new token). */
    data: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export type CreateCredentialInput = z.input<typeof createCredentialSchema>;
export type UpdateCredentialInput = z.infer<typeof updateCredentialSchema>;

/** The plaintext values of a credential, as a skill executor needs them. */
export type CredentialData = Readonly<Record<string, string | number>>;

export function parseCredentialData(type: CredentialType, data: unknown): CredentialData {
  return CREDENTIAL_TYPES[type].data.parse(data) as CredentialData;
}
