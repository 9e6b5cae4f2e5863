import express, { type RequestHandler } from 'express';
import { AppError } from '../errors/app-error';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from './json-depth';

/**
 * express.json() and the nesting limit as one layer (every request passes it): a body nested
 * deeper than `maxDepth` is a 400 before any route or authentication sees it.
 */
export function jsonBody(options: { readonly limit: string; readonly maxDepth?: number }): RequestHandler {
  const parse = express.json({ limit: options.limit, strict: true });
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  return (req, res, next) => {
    parse(req, res, (error?: unknown) => {
      if (error) {
        next(error);
        return;
      }
      if (req.body !== null && typeof req.body === 'object' && exceedsJsonDepth(req.body, maxDepth)) {
        next(new AppError(400, 'Bad Request', `the JSON body is nested more than ${maxDepth} levels deep`, { code: 'json-too-deep' }));
        return;
      }
      next();
    });
  };
}
