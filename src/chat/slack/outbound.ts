import { createHash } from 'node:crypto';
import type { KnownBlock, WebClient } from '@slack/web-api';
import { alertChartSpec } from '../../alerts/chart.js';
import { type AlertContent, type AlertFollowUp, saidInChannel } from '../../alerts/model.js';
import { followUpText } from '../../alerts/presentation.js';
import type { ChartRenderer, RenderedChart } from '../../charts/render.js';
import type { ChartedReport } from '../../compose/request.js';
import type { Logger } from '../../log.js';
import type { PostOutcome } from '../../vocabulary/chat.js';
import type { CommandResult } from '../context.js';
import {
  alertMessage,
  type ChartImage,
  clip,
  escapeMrkdwn,
  LIMITS,
  noticeMessage,
  reportMessage,
  type SlackMessage,
  viewsMessage,
} from './render.js';

/** Slack's answers for a channel the bot can no longer post to. */
const GONE_ERRORS = new Set(['channel_not_found', 'is_archived', 'not_in_channel', 'account_inactive', 'team_access_not_granted']);

/** How many uploaded alert charts a replica remembers (the oldest forgotten first). */
const UPLOADED_CHARTS_KEPT = 500;

/**
 * Posts to one channel go out at most one a second (Slack's per-channel pace); the Web API
 * client itself waits out 429s for as long as Retry-After says.
 */
class ChannelPacer {
  private readonly last = new Map<string, Promise<unknown>>();
  constructor(private readonly intervalMs = 1_000) {}

  run<T>(channel: string, task: () => Promise<T>): Promise<T> {
    const previous = this.last.get(channel) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(task);
    const spaced = next.catch(() => undefined).then(() => new Promise((r) => setTimeout(r, this.intervalMs)));
    this.last.set(channel, spaced);
    return next;
  }
}

/** The chart as an image block source: a QuickChart URL as it is, a PNG uploaded first. */
async function chartImage(client: WebClient, chart: RenderedChart): Promise<ChartImage> {
  if (chart.kind === 'url') return { url: chart.url };
  const upload = (await client.files.uploadV2({
    file: chart.png,
    filename: 'delivery.png',
    title: chart.altText.slice(0, 250),
  })) as unknown as {
    files?: Array<{ files?: Array<{ id?: string }> }>;
  };
  const id = upload.files?.[0]?.files?.[0]?.id;
  return id ? { fileId: id } : undefined;
}

/**
 * Everything the bot sends: messages built with their charts (uploaded once per picture), paced
 * per channel, and Slack's "gone" answers turned into outcomes.
 */
export class SlackOutbound {
  private readonly pacer = new ChannelPacer();
  // Charts already uploaded, by what they show: a click redraws the message, not the picture.
  private readonly uploadedCharts = new Map<string, ChartImage>();

  constructor(
    private readonly client: WebClient,
    private readonly charts: ChartRenderer,
    private readonly log: Logger,
  ) {}

  /** A command's answer as a Slack message, its charts uploaded. */
  async message(result: CommandResult, client: WebClient = this.client): Promise<SlackMessage> {
    if (result.type === 'notice') return noticeMessage(result);
    if (result.type === 'views') return viewsMessage(result);
    const [image, failureImage] = await Promise.all([
      chartImage(client, result.chart),
      result.failureChart ? chartImage(client, result.failureChart) : undefined,
    ]);
    return reportMessage(result.report, image, failureImage, result.digest);
  }

  /** An alert with its small chart (uploaded, or a QuickChart URL); without one if drawing fails. */
  async alertMessage(alert: AlertContent, client: WebClient = this.client): Promise<SlackMessage> {
    const spec = alert.resolved ? undefined : alertChartSpec(alert);
    let image: ChartImage;
    if (spec) {
      const key = createHash('sha256').update(JSON.stringify(spec)).digest('base64url');
      image = this.uploadedCharts.get(key);
      if (!image) {
        try {
          image = await chartImage(client, await this.charts.render(spec));
          if (this.uploadedCharts.size >= UPLOADED_CHARTS_KEPT) this.uploadedCharts.delete(this.uploadedCharts.keys().next().value!);
          this.uploadedCharts.set(key, image);
        } catch (err) {
          this.log.warn({ err, alert: alert.shortId }, 'alert chart not drawn; posting without it');
        }
      }
    }
    return alertMessage(alert, image);
  }

  /** Run a send on the channel's pace (button answers use the clicking workspace's client). */
  paced<T>(channel: string, task: () => Promise<T>): Promise<T> {
    return this.pacer.run(channel, task);
  }

  async postAlert(channel: string, alert: AlertContent): Promise<PostOutcome> {
    return this.post(channel, await this.alertMessage(alert));
  }

  async postReport(channel: string, result: ChartedReport): Promise<PostOutcome> {
    return this.post(channel, await this.message(result));
  }

  async updateAlert(channel: string, ts: string, alert: AlertContent): Promise<PostOutcome> {
    const message = await this.alertMessage(alert);
    return this.attempt(channel, () =>
      this.client.chat.update({ channel, ts, text: message.text, blocks: message.blocks as unknown as KnownBlock[] }),
    );
  }

  replyToAlert(channel: string, ts: string, alert: AlertContent, kind: AlertFollowUp): Promise<PostOutcome> {
    const text = escapeMrkdwn(followUpText(alert, kind));
    // An escalation or resumption is also sent to the channel ("Also send to #channel"): a thread
    // alone hides it.
    const broadcast = saidInChannel(kind) ? { reply_broadcast: true } : {};
    return this.attempt(channel, () =>
      this.client.chat.postMessage({ channel, thread_ts: ts, text: clip(text, LIMITS.sectionText), ...broadcast }),
    );
  }

  private post(channel: string, message: SlackMessage): Promise<PostOutcome> {
    return this.pacer.run(channel, async () => {
      try {
        const res = await this.client.chat.postMessage({ channel, ...message });
        return { delivered: true, ref: res.ts ?? '' };
      } catch (err) {
        const code = (err as { data?: { error?: string } }).data?.error;
        if (code && GONE_ERRORS.has(code)) {
          this.log.warn({ channel, code }, 'slack channel is gone');
          return { delivered: false, reason: 'gone' };
        }
        throw err;
      }
    });
  }

  /** Slack's answer for a message or channel that is gone, as an outcome; anything else is thrown. */
  private attempt(channel: string, send: () => Promise<{ ts?: string | undefined }>): Promise<PostOutcome> {
    return this.pacer.run(channel, async () => {
      try {
        const res = await send();
        return { delivered: true, ref: res.ts ?? '' };
      } catch (err) {
        const code = (err as { data?: { error?: string } }).data?.error;
        if (code && (GONE_ERRORS.has(code) || code === 'message_not_found')) return { delivered: false, reason: 'gone' };
        throw err;
      }
    });
  }
}
