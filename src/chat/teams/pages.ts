import type { Router } from 'express';

/**
 * The privacy and terms pages a Teams app package must link to (`privacyUrl`, `termsOfUseUrl`),
 * served by `serve` beside the bot so the package `teams-package` fills from PUBLIC_BASE_URL
 * points at pages that exist and say what this bot keeps.
 */
export const TEAMS_PRIVACY_PATH = '/privacy';
export const TEAMS_TERMS_PATH = '/terms';

const PRIVACY = `waba-pulse — privacy

This bot posts WhatsApp Business delivery reports, digests and alerts into the Teams
conversations it is added to. What it keeps, in its operator's database:
- where it may post: each conversation's Bot Framework reference (conversation, tenant and
  service ids), and whether the conversation still accepts posts;
- what people chose: digests subscribed to (and the Teams user id of whoever subscribed), alert
  settings and mutes, and who acknowledged or muted an alert (their Teams user id and when);
- the alerts it posted and where, so buttons and updates act on the right message.
It does not keep the text of messages typed to it, nor any WhatsApp recipient's phone number.
Delivery figures come from the operator's own WhatsApp Business accounts through Meta's Graph API.
Ask whoever runs this bot in your organisation to remove what it keeps.
`;

const TERMS = `waba-pulse — terms of use

This bot is run by the organisation that installed it, under that organisation's own terms.
waba-pulse itself is open-source software under the MIT licence, provided as is, without warranty.
`;

/** Mount the two pages (plain text, cacheable). */
export function mountTeamsPages(web: Router): void {
  for (const [path, text] of [
    [TEAMS_PRIVACY_PATH, PRIVACY],
    [TEAMS_TERMS_PATH, TERMS],
  ] as const) {
    web.get(path, (_req, res) => {
      res.type('text/plain; charset=utf-8').set('cache-control', 'public, max-age=86400').send(text);
    });
  }
}
