import fs from 'node:fs';
import path from 'node:path';
import matter from 'gray-matter';
import YAML from 'yaml';
import { describeZodError } from '../errors/error-handler';
import { skillDefinitionSchema, type Skill } from './skill-definition';

export interface SkillLoadProblem {
  readonly file: string;
  readonly reason: string;
}

/**
 * The skill catalogue, loaded once at boot from `SKILLS_DIR/<Name>/skill.md` and `SKILLS_DIR/*.md`.
 * Every instance reads the same folder at start, so instances agree; changes take effect with
 * `pm2 reload` (each instance re-reads the folder). An invalid file is skipped and reported,
 * never fatal.
 */
export class SkillRegistry {
  readonly #skills: ReadonlyMap<string, Skill>;

  private constructor(
    skills: Map<string, Skill>,
    readonly problems: readonly SkillLoadProblem[],
  ) {
    this.#skills = skills;
  }

  static load(dir: string): SkillRegistry {
    const skills = new Map<string, Skill>();
    const problems: SkillLoadProblem[] = [];
    for (const file of skillFiles(dir)) {
      const relative = path.relative(dir, file);
      try {
        const skill = parseSkillFile(file, relative);
        const existing = skills.get(skill.definition.name);
        if (existing) {
          problems.push({ file: relative, reason: `duplicate skill name "${skill.definition.name}" (already defined in ${existing.file}); skipped` });
          continue;
        }
        skills.set(skill.definition.name, skill);
      } catch (error) {
        problems.push({ file: relative, reason: (error as Error).message });
      }
    }
    return new SkillRegistry(new Map([...skills].sort(([a], [b]) => a.localeCompare(b))), problems);
  }

  static fromSkills(skills: readonly Skill[]): SkillRegistry {
    return new SkillRegistry(new Map(skills.map((s) => [s.definition.name, s])), []);
  }

  get(name: string): Skill | undefined {
    return this.#skills.get(name);
  }

  list(): Skill[] {
    return [...this.#skills.values()];
  }

  get size(): number {
    return this.#skills.size;
  }
}

function skillFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const files: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isFile() && entry.name.endsWith('.md') && entry.name.toLowerCase() !== 'readme.md') files.push(full);
    if (entry.isDirectory() && fs.existsSync(path.join(full, 'skill.md'))) files.push(path.join(full, 'skill.md'));
  }
  return files.sort();
}

export function parseSkillFile(file: string, relative: string): Skill {
  const text = fs.readFileSync(file, 'utf8');
  let parsed: matter.GrayMatterFile<string>;
  try {
    // The yaml package (YAML 1.2, no custom tags) instead of gray-matter's bundled js-yaml 3.
    parsed = matter(text, { engines: { yaml: (source: string) => (YAML.parse(source) ?? {}) as object } });
  } catch (error) {
    throw new Error(`invalid YAML front-matter: ${(error as Error).message.split('\n')[0]}`);
  }
  if (Object.keys(parsed.data).length === 0) throw new Error('no YAML front-matter (--- … ---) at the top of the file');
  const result = skillDefinitionSchema.safeParse(parsed.data);
  if (!result.success) throw new Error(`invalid skill definition: ${describeZodError(result.error)}`);
  return { definition: result.data, documentation: parsed.content.trim(), file: relative };
}
