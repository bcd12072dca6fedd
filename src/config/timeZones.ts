import { IANAZone } from 'luxon';
import { didYouMean } from '../didYouMean.js';
import { quoted } from '../text.js';

// ICU lists some zones under their old names; suggest the names people use today.
const CURRENT_NAMES: Record<string, string> = {
  'Asia/Calcutta': 'Asia/Kolkata',
  'Europe/Kiev': 'Europe/Kyiv',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Asia/Rangoon': 'Asia/Yangon',
  'America/Godthab': 'America/Nuuk',
  'Pacific/Enderbury': 'Pacific/Kanton',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'America/Buenos_Aires': 'America/Argentina/Buenos_Aires',
};
const TIME_ZONES = Intl.supportedValuesOf('timeZone').map((zone) => CURRENT_NAMES[zone] ?? zone);

/**
 * Why a zone name will not do, with the nearest real one ("Europe/Berln" → "Europe/Berlin"), or
 * undefined when it is a zone: the config file and chat commands say it the same way.
 */
export function timeZoneProblem(value: string): string | undefined {
  if (IANAZone.isValidZone(value)) return undefined;
  const near = didYouMean(value, TIME_ZONES);
  return `unknown time zone ${quoted(value)}${near ? ` — did you mean "${near}"?` : ' — use an IANA name such as "Europe/Berlin"'}`;
}
