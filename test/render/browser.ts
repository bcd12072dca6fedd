/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { SlackMessage } from '../../src/chat/slack/render.js';
import type { Card } from '../../src/chat/teams/cards.js';

/**
 * Messages drawn in a real browser: Adaptive Cards by Microsoft's own renderer (the
 * `adaptivecards` package) with a host config like Teams' light theme, and Block Kit by a small
 * HTML approximation of Slack's layout (for screenshots; Slack's limits are checked as Slack
 * checks them, in the fake Slack). Chromium is Debian's (`.ci/run` installs it).
 */

const require = createRequire(import.meta.url);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

/** Teams' light theme, as far as a card's layout goes: its fonts, spacing and equal-width buttons. */
export const TEAMS_HOST_CONFIG = {
  fontFamily: "'Segoe UI', 'DejaVu Sans', sans-serif",
  spacing: { small: 8, default: 8, medium: 20, large: 30, extraLarge: 40, padding: 16 },
  separator: { lineThickness: 1, lineColor: '#EEEEEE' },
  fontSizes: { small: 12, default: 14, medium: 14, large: 18, extraLarge: 24 },
  fontWeights: { lighter: 200, default: 400, bolder: 600 },
  containerStyles: {
    default: {
      backgroundColor: '#FFFFFF',
      foregroundColors: {
        default: { default: '#242424', subtle: '#616161' },
        accent: { default: '#5B5FC7', subtle: '#5B5FC7' },
        good: { default: '#0E7A0B', subtle: '#0E7A0B' },
        warning: { default: '#835B00', subtle: '#835B00' },
        attention: { default: '#C4314B', subtle: '#C4314B' },
      },
    },
    emphasis: { backgroundColor: '#F5F5F5' },
  },
  actions: {
    maxActions: 6,
    spacing: 'Default',
    buttonSpacing: 8,
    showCard: { actionMode: 'Inline', inlineTopMargin: 16, style: 'emphasis' },
    actionsOrientation: 'Horizontal',
    actionAlignment: 'Stretch',
  },
  imageSizes: { small: 32, medium: 52, large: 160 },
};

/** Teams draws buttons as one line, cut with an ellipsis when the title does not fit. */
const TEAMS_CSS = `
  body { margin: 0; background: #f5f5f5; font-family: 'DejaVu Sans', sans-serif; }
  .frame { background: #fff; border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,.2); margin: 12px; }
  .ac-pushButton { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; min-height: 32px; padding: 0 12px;
    border: 1px solid #d1d1d1; border-radius: 4px; background: #fff; color: #242424; font: 600 14px 'DejaVu Sans', sans-serif; }
  .ac-pushButton.style-positive { background: #5B5FC7; color: #fff; border-color: #5B5FC7; }
  .ac-pushButton.expandable:after { content: none; }
`;

const AC_SCRIPT = readFileSync(require.resolve('adaptivecards/dist/adaptivecards.min.js'), 'utf8');
const AC_CSS = readFileSync(require.resolve('adaptivecards/dist/adaptivecards.css'), 'utf8');

export interface Rendered {
  /** Action titles cut short, text running past its column, a card wider than its frame. */
  overflows: string[];
  height: number;
}

/** Card images named `chart:<name>` are given as PNGs (data URLs), as a chart link would serve them. */
function withImages(card: Card, images: Record<string, Buffer>): Card {
  const json = JSON.stringify(card).replace(/"chart:([^"]+)"/g, (whole, name: string) =>
    images[name] ? JSON.stringify(`data:image/png;base64,${images[name]!.toString('base64')}`) : whole,
  );
  return JSON.parse(json) as Card;
}

/**
 * Draw `card` in a column `width` px wide (the card's own width: 320 for a phone, 450 for
 * Teams' desktop column), open every "Mute…"-style ShowCard, and report what does not fit.
 */
export async function renderTeamsCard(
  page: Page,
  card: Card,
  width: number,
  images: Record<string, Buffer> = {},
  options: { openShowCards?: boolean } = {},
): Promise<Rendered> {
  await page.setViewportSize({ width: width + 24, height: 900 });
  await page.setContent(
    // (__name: what tsx's transform adds to functions handed to the page.)
    `<html><head><style>${AC_CSS}${TEAMS_CSS}</style><script>window.__name = (f) => f;</script><script>${AC_SCRIPT}</script></head><body><div class="frame" id="card" style="width:${width}px"></div></body></html>`,
  );
  return page.evaluate(
    async ([json, hostConfig, open]) => {
      const AC = (window as any).AdaptiveCards;
      const ac = new AC.AdaptiveCard();
      ac.hostConfig = new AC.HostConfig(hostConfig);
      ac.parse(json);
      const root = document.getElementById('card')!;
      root.appendChild(ac.render());
      await Promise.all(
        [...root.querySelectorAll('img')].map((img) =>
          img.complete
            ? null
            : new Promise((r) => {
                img.addEventListener('load', r);
                img.addEventListener('error', r);
              }),
        ),
      );
      // Open the ShowCards (a "Mute…" menu): their buttons must fit too.
      if (open) for (const button of root.querySelectorAll<HTMLElement>('.ac-pushButton.expandable')) button.click();
      const overflows: string[] = [];
      const cut = (el: Element) => el.scrollWidth > el.clientWidth + 1;
      for (const b of root.querySelectorAll<HTMLElement>('.ac-pushButton')) {
        const clipped = [b, ...b.querySelectorAll<HTMLElement>('*')].find(cut);
        if (clipped) overflows.push(`action "${b.textContent}" is cut (${clipped.scrollWidth} px of text in ${clipped.clientWidth})`);
      }
      for (const t of root.querySelectorAll<HTMLElement>('.ac-textBlock, .ac-richTextBlock')) {
        if (cut(t)) overflows.push(`text "${(t.textContent ?? '').slice(0, 60)}" runs ${t.scrollWidth - t.clientWidth} px past its column`);
      }
      if (root.scrollWidth > root.clientWidth + 1)
        overflows.push(`the card is ${root.scrollWidth} px wide in a ${root.clientWidth} px column`);
      return { overflows, height: root.scrollHeight };
    },
    [withImages(card, images), TEAMS_HOST_CONFIG, options.openShowCards ?? true] as const,
  );
}

// ---------------------------------------------------------------------------------------------
// Block Kit, approximately as Slack lays it out, for screenshots.

const EMOJI: Record<string, string> = {
  red_circle: '🔴',
  large_orange_circle: '🟠',
  white_check_mark: '✅',
  no_bell: '🔕',
  small_red_triangle_down: '🔻',
  large_green_circle: '🟢',
  warning: '⚠️',
  hourglass_flowing_sand: '⏳',
  lock: '🔒',
  bell: '🔔',
  calendar: '📆',
  rotating_light: '🚨',
};

/** How Slack shows the samples' people and channels (a mention names them). */
const NAMES: Record<string, string> = { U0ALICE: 'Alice', U0BOB: 'Bob', C0OPS: 'whatsapp-ops' };

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slack mrkdwn (as we write it) as HTML: entities, mentions, emoji, code, bold, italics. */
export function mrkdwnHtml(text: string): string {
  const unescaped = text
    .replace(/<@([A-Z0-9]+)>/g, (_, id: string) => `@${NAMES[id] ?? id}`)
    .replace(/<#([A-Z0-9]+)(?:\|[^>]*)?>/g, (_, id: string) => `#${NAMES[id] ?? id}`)
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
  const parts = unescaped.split(/(```[\s\S]*?```)/);
  return parts
    .map((part) => {
      if (part.startsWith('```')) return `<pre>${escapeHtml(part.slice(3, -3))}</pre>`;
      return escapeHtml(part)
        .replace(/:([a-z_]+):/g, (whole, name: string) => EMOJI[name] ?? whole)
        .replace(/`([^`]+)`/g, '<code>$1</code>')
        .replace(/(^|[\s(])\*([^*\n]+)\*/g, '$1<b>$2</b>')
        .replace(/(^|[\s(])_([^_\n]+)_/g, '$1<i>$2</i>')
        .replace(/\n/g, '<br>');
    })
    .join('');
}

const SLACK_CSS = `
  body { margin: 0; background: #fff; font: 15px/1.46 'DejaVu Sans', sans-serif; color: #1d1c1d; }
  .msg { display: flex; gap: 8px; padding: 12px 16px; }
  .avatar { width: 36px; height: 36px; border-radius: 6px; background: #128c7e; color: #fff; font-weight: 700; display: flex; align-items: center; justify-content: center; flex: none; }
  .content { min-width: 0; flex: 1; }
  .name { font-weight: 900; } .app { font-size: 10px; background: #eee; border-radius: 2px; padding: 0 3px; margin-left: 4px; color: #616061; }
  .header { font-size: 18px; font-weight: 900; margin: 4px 0; }
  .section { margin: 4px 0; overflow-wrap: anywhere; }
  .fields { display: grid; grid-template-columns: 1fr 1fr; gap: 4px 16px; }
  .context { font-size: 12px; color: #616061; margin: 4px 0; }
  pre { font: 12px/1.5 'DejaVu Sans Mono', monospace; background: #f8f8f8; border: 1px solid #ddd; border-radius: 4px; padding: 8px; margin: 4px 0; white-space: pre-wrap; }
  code { font: 12px 'DejaVu Sans Mono', monospace; color: #e01e5a; background: #f8f8f8; border: 1px solid #ddd; border-radius: 3px; padding: 0 2px; }
  img { max-width: 100%; border-radius: 6px; margin: 4px 0; display: block; }
  .actions { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0 4px; }
  .button { border: 1px solid #bbb; border-radius: 4px; padding: 3px 12px; font-weight: 700; font-size: 13px; }
  .button.primary { background: #007a5a; color: #fff; border-color: #007a5a; }
  .button.danger { color: #e01e5a; border-color: #e01e5a; }
  .divider { border-top: 1px solid #ddd; margin: 12px 0; }
  .accessory { display: flex; gap: 12px; align-items: flex-start; justify-content: space-between; }
  .accessory .button { flex: none; margin-top: 2px; }
  .input { margin: 14px 0; }
  .label { font-weight: 700; margin-bottom: 6px; } .label .optional { font-weight: 400; color: #616061; }
  .box { border: 1px solid #bbb; border-radius: 4px; padding: 7px 10px; min-height: 22px; display: flex; justify-content: space-between; gap: 8px; }
  .box .empty { color: #999; } .box .caret { color: #616061; }
  .hint { font-size: 13px; color: #616061; margin-top: 4px; }
  .check { display: flex; gap: 8px; align-items: center; margin: 4px 0; }
  .check .tick { width: 16px; height: 16px; border: 1px solid #bbb; border-radius: 3px; font-size: 12px; line-height: 16px; text-align: center; }
  .check .tick.on { background: #1264a3; border-color: #1264a3; color: #fff; }
  .view { border: 1px solid #ddd; border-radius: 8px; box-shadow: 0 4px 12px rgba(0,0,0,.15); margin: 12px; background: #fff; }
  .bar { display: flex; align-items: center; gap: 10px; padding: 14px 20px; border-bottom: 1px solid #ddd; font-size: 20px; font-weight: 900; }
  .bar .title { flex: 1; } .bar .close { font-weight: 400; color: #616061; }
  .tabs { display: flex; gap: 20px; padding: 0 20px; border-bottom: 1px solid #ddd; font-size: 14px; }
  .tabs span { padding: 8px 0; color: #616061; } .tabs .on { color: #1d1c1d; font-weight: 700; border-bottom: 2px solid #1264a3; }
  .body { padding: 4px 20px 12px; }
  .footer { display: flex; justify-content: flex-end; gap: 8px; padding: 14px 20px; border-top: 1px solid #ddd; }
  .footer .button { padding: 6px 14px; font-size: 15px; }
`;

type BlockJson = Record<string, any>;

const plain = (t: { text: string } | undefined) => escapeHtml(t?.text ?? '');
const button = (e: BlockJson) => `<span class="button ${e.style ?? ''}">${plain(e.text)}</span>`;

/** An input's element as Slack draws it: a box with what it holds now (a select's choice, the text typed), or ticks. */
function elementHtml(e: BlockJson): string {
  const box = (value: string | undefined, caret = '') =>
    `<div class="box">${value ? `<span>${value}</span>` : '<span class="empty">&nbsp;</span>'}${caret ? `<span class="caret">${caret}</span>` : ''}</div>`;
  switch (e.type) {
    case 'static_select':
      return box(e.initial_option ? plain(e.initial_option.text) : undefined, '▾');
    case 'conversations_select':
      return box(e.initial_conversation ? `#${escapeHtml(NAMES[e.initial_conversation] ?? e.initial_conversation)}` : 'This channel', '▾');
    case 'plain_text_input':
      return box(e.initial_value ? escapeHtml(e.initial_value) : undefined);
    case 'timepicker':
      return box(e.initial_time ? escapeHtml(e.initial_time) : undefined, '🕘');
    case 'checkboxes': {
      const on = new Set((e.initial_options ?? []).map((o: BlockJson) => o.value));
      return e.options
        .map(
          (o: BlockJson) =>
            `<div class="check"><span class="tick ${on.has(o.value) ? 'on' : ''}">${on.has(o.value) ? '✓' : ''}</span>${plain(o.text)}</div>`,
        )
        .join('');
    }
    default:
      return box(escapeHtml(String(e.type)));
  }
}

function blockHtml(b: BlockJson, images: Record<string, Buffer>): string {
  switch (b.type) {
    case 'header':
      return `<div class="header">${escapeHtml(b.text.text)}</div>`;
    case 'section': {
      const inner = `<div>${b.text ? mrkdwnHtml(b.text.text) : ''}${b.fields ? `<div class="fields">${b.fields.map((f: { text: string }) => `<div>${mrkdwnHtml(f.text)}</div>`).join('')}</div>` : ''}</div>`;
      if (b.accessory?.type === 'button') return `<div class="section accessory">${inner}${button(b.accessory)}</div>`;
      return `<div class="section">${inner}</div>`;
    }
    case 'context':
      return `<div class="context">${b.elements.map((e: { text: string }) => mrkdwnHtml(e.text)).join(' &nbsp; ')}</div>`;
    case 'divider':
      return '<div class="divider"></div>';
    case 'image': {
      const name = b.slack_file ? String(b.slack_file.id).slice(1) : undefined;
      const src = name && images[name] ? `data:image/png;base64,${images[name]!.toString('base64')}` : (b.image_url ?? '');
      return `<img src="${src}" alt="${escapeHtml(b.alt_text)}">`;
    }
    case 'actions':
      return `<div class="actions">${b.elements.map(button).join('')}</div>`;
    case 'input':
      return `<div class="input"><div class="label">${plain(b.label)}${b.optional ? ' <span class="optional">(optional)</span>' : ''}</div>${elementHtml(b.element)}${b.hint ? `<div class="hint">${plain(b.hint)}</div>` : ''}</div>`;
    default:
      return '';
  }
}

export function slackHtml(message: SlackMessage, images: Record<string, Buffer>, width: number): string {
  const blocks = message.blocks.map((b: BlockJson) => blockHtml(b, images));
  return `<html><head><style>${SLACK_CSS}</style></head><body><div class="msg" style="width:${width - 32}px"><div class="avatar">wp</div><div class="content"><div><span class="name">waba-pulse</span><span class="app">APP</span></div>${blocks.join('')}</div></div></body></html>`;
}

/**
 * A Slack view in its frame: a modal with its title bar and Cancel/Save under it, or the app's
 * Home tab under its name and tabs. Draw `.view`.
 */
export function slackViewHtml(view: BlockJson, width: number): string {
  const blocks = (view.blocks as BlockJson[]).map((b) => blockHtml(b, {})).join('');
  const frame =
    view.type === 'modal'
      ? `<div class="bar"><span class="title">${plain(view.title)}</span><span class="close">✕</span></div><div class="body">${blocks}</div><div class="footer">${view.close ? `<span class="button">${plain(view.close)}</span>` : ''}${view.submit ? `<span class="button primary">${plain(view.submit)}</span>` : ''}</div>`
      : `<div class="bar"><span class="avatar">wp</span><span class="title">waba-pulse</span></div><div class="tabs"><span class="on">Home</span><span>Messages</span><span>About</span></div><div class="body">${blocks}</div>`;
  return `<html><head><style>${SLACK_CSS}</style></head><body><div class="view" style="width:${width - 24}px">${frame}</div></body></html>`;
}
