import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { formatPath } from '../../config/load.js';
import { ConfigError } from '../../errors.js';
import { OutputFolder } from '../../output/folder.js';
import { quotedUnlessSecret } from '../../text.js';
import type { PlatformCommandIo } from '../platform.js';
import { teamsManifestSchema } from './manifest.js';
import { TEAMS_PRIVACY_PATH, TEAMS_TERMS_PATH } from './pages.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const TEMPLATE_DIR = fileURLToPath(new URL('../../../manifest/teams/', import.meta.url));

/** manifest.json with the app id (and the chart host) filled in, checked against the schema rules. */
export function fillTeamsManifest(env: NodeJS.ProcessEnv, templateDir = TEMPLATE_DIR): string {
  const appId = env.MICROSOFT_APP_ID?.trim();
  if (!appId) throw new ConfigError('env.MICROSOFT_APP_ID', 'is not set', "set it to the bot's Microsoft app id (a GUID)");
  // The variable is what was wrong, not the template: name it.
  if (!GUID.test(appId))
    throw new ConfigError(
      'env.MICROSOFT_APP_ID',
      `${quotedUnlessSecret(appId)} is not a GUID`,
      "set it to the bot's Microsoft app id, e.g. 2f6c1a8e-3b7d-4e59-9a0c-5d8e7f6a1b2c (Azure Bot → Configuration)",
    );
  const base = env.PUBLIC_BASE_URL ? new URL(env.PUBLIC_BASE_URL) : undefined;
  const manifest = JSON.parse(readFileSync(join(templateDir, 'manifest.json'), 'utf8').replaceAll('{{MICROSOFT_APP_ID}}', appId)) as Record<
    string,
    unknown
  >;
  // Teams must be allowed to load chart images from our host, and links to pages that exist:
  // serve answers the privacy and terms pages there.
  manifest.validDomains = base ? [base.host] : [];
  if (base) {
    const at = (path: string) => new URL(path, base).toString();
    manifest.developer = {
      ...(manifest.developer as object),
      websiteUrl: at('/'),
      privacyUrl: at(TEAMS_PRIVACY_PATH),
      termsOfUseUrl: at(TEAMS_TERMS_PATH),
    };
  }
  const checked = teamsManifestSchema.safeParse(manifest);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new ConfigError(
      `manifest/teams/manifest.json ${formatPath(issue.path)}`,
      issue.message,
      'fix the template or the variable it was filled from',
    );
  }
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** `waba-pulse teams-package`: the uploadable app package (manifest + icons) as a zip. */
export async function runTeamsPackage(opts: { out?: string }, io: PlatformCommandIo): Promise<number> {
  const manifest = fillTeamsManifest(io.env);
  const out = opts.out ?? join(io.cwd, 'out', 'waba-pulse-teams.zip');
  const folder = OutputFolder.open(dirname(out), '--out');
  const zip = zipSync({
    'manifest.json': Buffer.from(manifest),
    'color.png': readFileSync(join(TEMPLATE_DIR, 'color.png')),
    'outline.png': readFileSync(join(TEMPLATE_DIR, 'outline.png')),
  });
  folder.write([{ name: basename(out), data: Buffer.from(zip) }]);
  io.stdout.write(
    `wrote ${out} (${zip.length} bytes): upload it in Teams (Apps → Manage your apps → Upload an app) or the Teams admin center\n`,
  );
  if (!io.env.PUBLIC_BASE_URL)
    io.stderr.write(
      'waba-pulse: the package links to https://pulse.example.com and Teams cannot load chart images: set PUBLIC_BASE_URL to where serve is reached and run it again.\n',
    );
  return 0;
}
