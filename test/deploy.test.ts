import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// No Docker engine runs here: these check that the deployment files agree with the project.
describe('deployment files', () => {
  const root = new URL('../', import.meta.url);
  const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
  const compose = parse(readFileSync(new URL('compose.yaml', root), 'utf8')) as Record<string, any>;

  it('builds with the lock file and runs `serve` as a non-root user', () => {
    expect(dockerfile).toMatch(/FROM node:20-/);
    expect(dockerfile).toContain('npm ci');
    expect(dockerfile).toContain('USER node');
    expect(dockerfile).toContain('CMD ["node", "dist/cli.js", "serve"]');
    for (const copied of [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/))) {
      expect(existsSync(new URL(copied, root)), copied).toBe(true);
    }
  });

  it('runs the app on PostgreSQL with health checks', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['app', 'db']);
    expect(compose.services.app.environment.DATABASE_URL).toMatch(/^postgres:\/\/waba:.*@db:5432\/waba_pulse$/);
    expect(compose.services.app.depends_on.db.condition).toBe('service_healthy');
    expect(compose.services.db.healthcheck.test.join(' ')).toContain('pg_isready');
  });
});
