import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SkillRegistry } from '../../src/skills/skill-registry';

const valid = (name: string) => ['---', `name: ${name}`, 'produces: [x]', 'executor: rest', 'rest:', '  url: https://api.example.com/x', '---', `# ${name}`, ''].join('\n');

describe('SkillRegistry', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sop-skills-'));
    const write = (file: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    };
    write('Good/skill.md', valid('Good'));
    write('flat.md', valid('Flat'));
    write('README.md', '# not a skill');
    write('ZDup/skill.md', valid('Good')); // sorted after Good/: the later file is the duplicate
    write('BadYaml/skill.md', '---\nname: [unclosed\n---\n');
    write('NoFrontMatter/skill.md', '# just markdown\n');
    write('WrongExecutor/skill.md', valid('Wrong').replace('executor: rest', 'executor: python'));
    write('BadPath/skill.md', valid('BadPath').replace('  url: https://api.example.com/x', '  url: https://x\n  response: { x: "items[0]" }'));
    write('MissingUrl/skill.md', valid('MissingUrl').replace('  url: https://api.example.com/x', '  method: GET'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('When the folder holds good and bad skill files, then good ones load and each bad one is reported with its path and reason', () => {
    const registry = SkillRegistry.load(dir);
    assert.deepEqual(registry.list().map((s) => s.definition.name), ['Flat', 'Good']);
    const problems = new Map(registry.problems.map((p) => [p.file, p.reason]));
    assert.match(problems.get(path.join('ZDup', 'skill.md')) ?? '', /duplicate skill name "Good" \(already defined in Good\/skill\.md\)/);
    assert.match(problems.get(path.join('BadYaml', 'skill.md')) ?? '', /invalid YAML front-matter/);
    assert.match(problems.get(path.join('NoFrontMatter', 'skill.md')) ?? '', /no YAML front-matter/);
    assert.match(problems.get(path.join('WrongExecutor', 'skill.md')) ?? '', /executor: must be "rest"/);
    assert.match(problems.get(path.join('BadPath', 'skill.md')) ?? '', /rest\.response\.x: must be a response path/);
    assert.match(problems.get(path.join('MissingUrl', 'skill.md')) ?? '', /rest\.url/);
    assert.equal(problems.size, 6);
    assert.equal(registry.get('Good')?.documentation, '# Good');
  });

  test('When SKILLS_DIR does not exist, then the catalogue is empty (and the instance still starts)', () => {
    const registry = SkillRegistry.load(path.join(dir, 'missing'));
    assert.equal(registry.size, 0);
    assert.deepEqual(registry.problems, []);
  });
});
