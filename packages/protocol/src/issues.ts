import type { z } from 'zod';

/**
 * Schema failures as people read them, the same everywhere (socket acks, HTTP bodies, config,
 * token claims): one line per issue, `path: message`, named after `root` when the issue is about
 * the value as a whole. A value that is not even an object says so in plain words.
 */
export function describeIssues(error: z.ZodError, root: string): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.join('.');
    if (path) return `${path}: ${issue.message}`;
    if (issue.code === 'invalid_type' && issue.expected === 'object') {
      return `${root} must be an object`;
    }
    return `${root}: ${issue.message}`;
  });
}

/** The fields a value got wrong, each once, in order (`root` for the value as a whole). */
export function issuePaths(error: z.ZodError, root: string): string[] {
  return [...new Set(error.issues.map((issue) => issue.path.join('.') || root))];
}
