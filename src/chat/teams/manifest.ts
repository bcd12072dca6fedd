import { z } from 'zod';

/**
 * The rules of the Teams app manifest schema (v1.17) that an uploaded package is refused for:
 * required fields, formats and lengths. The package command checks them before zipping, so a
 * bad package never reaches the Teams admin center.
 */
const guid = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, {
  error: (i) => `${JSON.stringify(i.input)} is not a GUID`,
});
const httpsUrl = z
  .string()
  .regex(/^https:\/\//, { error: (i) => `${JSON.stringify(i.input)} is not an https URL` })
  .max(2048);
const scope = z.enum(['personal', 'team', 'groupChat']);

export const teamsManifestSchema = z.object({
  $schema: z.string().url(),
  manifestVersion: z.literal('1.17'),
  version: z.string().regex(/^\d+\.\d+\.\d+$/),
  id: guid,
  developer: z.object({ name: z.string().min(1).max(32), websiteUrl: httpsUrl, privacyUrl: httpsUrl, termsOfUseUrl: httpsUrl }),
  name: z.object({ short: z.string().min(1).max(30), full: z.string().max(100).optional() }),
  description: z.object({ short: z.string().min(1).max(80), full: z.string().min(1).max(4000) }),
  icons: z.object({ color: z.string().min(1), outline: z.string().min(1) }),
  accentColor: z.string().regex(/^#[0-9a-fA-F]{6}$/),
  bots: z
    .array(
      z.object({
        botId: guid,
        scopes: z.array(scope).min(1).max(3),
        supportsFiles: z.boolean().optional(),
        isNotificationOnly: z.boolean().optional(),
        commandLists: z
          .array(
            z.object({
              scopes: z.array(scope).min(1),
              commands: z
                .array(z.object({ title: z.string().min(1).max(32), description: z.string().min(1).max(128) }))
                .min(1)
                .max(10),
            }),
          )
          .max(3)
          .optional(),
      }),
    )
    .max(1),
  permissions: z.array(z.enum(['identity', 'messageTeamMembers'])).optional(),
  validDomains: z
    .array(z.string().regex(/^[^/:\s]+(:\d+)?$/, { error: (i) => `${JSON.stringify(i.input)} is not a domain (no scheme or path)` }))
    .max(16)
    .optional(),
});

export type TeamsManifest = z.infer<typeof teamsManifestSchema>;
