import { createRequire } from 'node:module';

// The numbering plans load on the first number that needs them: a report without phone numbers
// (and `--help`) never pays for them.
const require = createRequire(import.meta.url);
let parser: typeof import('libphonenumber-js').parsePhoneNumberFromString | undefined;

/** A number from its digits ("16315551000"), or undefined when no numbering plan knows it. */
export function parsePhone(digits: string): import('libphonenumber-js').PhoneNumber | undefined {
  parser ??= (require('libphonenumber-js') as typeof import('libphonenumber-js')).parsePhoneNumberFromString;
  return parser(`+${digits}`);
}
