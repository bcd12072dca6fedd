import { localClock } from '../analytics/time.js';
import { textWidth } from './fontMetrics.js';

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const twoDigits = (n: number) => (n < 10 ? `0${n}` : String(n));
/** Space between neighbouring tick labels (px), as Chart.js's autoSkipPadding would keep. */
const TICK_GAP = 16;

/** Ticks every so many minutes within a day, or every so many days. */
const MINUTE_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 240, 360, 720];
const DAY_STEPS = [1, 2, 3, 7, 14];

type Candidate = { minutes: number } | { days: number; short: boolean };

/**
 * Tick labels for buckets shorter than a day (half hours, minutes), one per bucket and empty
 * where no tick is drawn: times at round steps, each new day named ("Wed 09:00"), or over many
 * days one tick per day or per few days ("Wed 18 Nov"). The finest steps whose labels fit side by
 * side at `spacing` px per bucket win; Chart.js's own skipping would drop the day names.
 */
export function timeTickLabels(starts: readonly number[], bucketSeconds: number, tz: string, spacing: number, fontSize: number): string[] {
  const clocks = starts.map((s) => localClock(s, tz));
  const bucketMinutes = bucketSeconds / 60;
  const minuteOfDay = (i: number) => clocks[i]!.hour * 60 + clocks[i]!.minute;
  // Buckets need not start on the hour in a zone offset by 45 minutes: steps count from theirs.
  const phase = clocks.length ? minuteOfDay(0) % bucketMinutes : 0;
  const dayStarts = clocks.flatMap((c, i) =>
    (i === 0 ? minuteOfDay(0) < bucketMinutes : c.dayNumber !== clocks[i - 1]!.dayNumber) ? [i] : [],
  );

  const labelsFor = (candidate: Candidate): Array<[number, string]> => {
    if ('minutes' in candidate) {
      const out: Array<[number, string]> = [];
      let previousDay: number | undefined;
      clocks.forEach((c, i) => {
        if ((minuteOfDay(i) - phase) % candidate.minutes !== 0) return;
        const time = `${twoDigits(c.hour)}:${twoDigits(c.minute)}`;
        out.push([i, c.dayNumber === previousDay ? time : `${WEEKDAYS[c.weekday - 1]} ${time}`]);
        previousDay = c.dayNumber;
      });
      return out;
    }
    const first = clocks[dayStarts[0] ?? 0]?.dayNumber ?? 0;
    return dayStarts
      .filter((i) => (clocks[i]!.dayNumber - first) % candidate.days === 0)
      .map((i) => {
        const c = clocks[i]!;
        const name = `${WEEKDAYS[c.weekday - 1]} ${c.day}`;
        return [i, candidate.short ? name : `${name} ${MONTHS[c.month - 1]}`];
      });
  };
  const fits = (labels: Array<[number, string]>) =>
    labels.length > 0 &&
    labels.every(([i, text], k) => {
      if (k === 0) return true;
      const [j, before] = labels[k - 1]!;
      return (i - j) * spacing >= (textWidth(text, fontSize) + textWidth(before, fontSize)) / 2 + TICK_GAP;
    });

  const candidates: Candidate[] = [
    ...MINUTE_STEPS.filter((m) => m >= bucketMinutes && m % bucketMinutes === 0).map((minutes) => ({ minutes })),
    ...DAY_STEPS.flatMap((days) => [
      { days, short: false },
      { days, short: true },
    ]),
  ];
  const labels = starts.map(() => '');
  if (!clocks.length) return labels;
  // Nothing fits (a handful of buckets in a narrow chart): the first bucket alone is named.
  let chosen: Array<[number, string]> = [
    [0, `${WEEKDAYS[clocks[0]!.weekday - 1]} ${twoDigits(clocks[0]!.hour)}:${twoDigits(clocks[0]!.minute)}`],
  ];
  for (const candidate of candidates) {
    const labelled = labelsFor(candidate);
    if (fits(labelled)) {
      chosen = labelled;
      break;
    }
  }
  for (const [i, text] of chosen) labels[i] = text;
  return labels;
}
