import { Router } from 'express';
import { executeSkillSchema, type SkillService } from './skill-service';

/** Mounted at /skills. */
export function skillRoutes(skills: SkillService): Router {
  const router = Router();

  router.get('/', (_req, res) => {
    res.json({ skills: skills.list() });
  });

  router.get('/:name', (req, res) => {
    res.json(skills.describe(req.params.name));
  });

  router.post('/:name/execute', async (req, res) => {
    skills.require(req.params.name);
    const { inputs } = executeSkillSchema.parse(req.body ?? {});
    // No per-request AbortSignal: it cost more than it saves (a call whose client went away ends
    // at the skill's timeout at the latest).
    res.json(await skills.execute(req.params.name, inputs));
  });

  return router;
}
