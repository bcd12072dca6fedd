import { ActivityTypes, CardFactory, TextFormatTypes } from 'botbuilder';
import { alertChartSpec } from '../../alerts/chart.js';
import type { AlertContent } from '../../alerts/model.js';
import { alertSummary } from '../../alerts/presentation.js';
import type { ChartLinks } from '../../charts/links.js';
import type { ChartRenderer, RenderedChart } from '../../charts/render.js';
import type { Logger } from '../../log.js';
import { clipEcho } from '../../text.js';
import type { CommandResult } from '../context.js';
import { reportSummary } from '../presentation.js';
import { alertCard, type Card, noticeCard, reportCard, viewsCard } from './cards.js';

/** One line of plain text for `text` and `summary`: our `command` marks dropped (a card shows them as monospace), clipped for previews. */
export function plainLine(text: string): string {
  return clipEcho(text.replace(/`([^`\n]+)`/g, '$1'), 250);
}

/** Plain text as a message of its own (a thread reply). */
export function plainMessage(text: string) {
  return { type: ActivityTypes.Message, textFormat: TextFormatTypes.Plain, text: plainLine(text) };
}

/**
 * A card as an activity, with a `summary` for notifications and previews (else Teams shows
 * "Card") and the same line as `text` — plain text, as the card is: Teams reads `text` as
 * Markdown by default, and a line that echoes what someone typed must not become a link.
 */
export function cardActivity(card: Card, summary: string) {
  const line = plainLine(summary);
  return {
    type: ActivityTypes.Message,
    textFormat: TextFormatTypes.Plain,
    summary: line,
    text: line,
    attachments: [CardFactory.adaptiveCard(card)],
  };
}

/** What the bot sends, as activities: answers and alerts as cards, charts by signed link or QuickChart URL. */
export class TeamsActivities {
  constructor(
    private readonly links: ChartLinks | undefined,
    private readonly charts: ChartRenderer,
    private readonly log: Logger,
  ) {}

  private imageUrl(chart: RenderedChart): string | undefined {
    if (chart.kind === 'url') return chart.url;
    return this.links?.publish(chart.png);
  }

  answer(result: CommandResult) {
    if (result.type === 'notice') return cardActivity(noticeCard(result), result.title);
    if (result.type === 'views') return cardActivity(viewsCard(result), result.summary);
    return cardActivity(
      reportCard(
        result.report,
        this.imageUrl(result.chart),
        result.failureChart ? this.imageUrl(result.failureChart) : undefined,
        result.digest,
      ),
      reportSummary(result.report),
    );
  }

  /** The alert's card, with its small chart when one can be drawn. */
  async alert(alert: AlertContent) {
    const spec = alert.resolved ? undefined : alertChartSpec(alert);
    let url: string | undefined;
    if (spec) {
      try {
        url = this.imageUrl(await this.charts.render(spec));
      } catch (err) {
        this.log.warn({ err, alert: alert.shortId }, 'alert chart not drawn; posting without it');
      }
    }
    return cardActivity(alertCard(alert, url), alertSummary(alert));
  }
}
