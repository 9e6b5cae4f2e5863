import { skillDefinitionSchema, type Skill } from '../../src/skills/skill-definition';

/** A validated skill built in code, as if loaded from a skill.md. */
export function skill(definition: Record<string, unknown>): Skill {
  return { definition: skillDefinitionSchema.parse({ executor: 'rest', ...definition }), documentation: '', file: 'test' };
}
