/** Largest `Retry-After` passed on, in seconds (a day); a longer one is capped. */
export const MAX_RETRY_AFTER_SECONDS = 86_400;

const DELAY_SECONDS = /^\d+$/;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
/** IMF-fixdate (RFC 9110 §5.6.7), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`. */
const IMF_FIXDATE = new RegExp(
  `^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) (${MONTHS.join("|")}) (\\d{4}) (\\d{2}):(\\d{2}):(\\d{2}) GMT$`,
);

/**
 * A vendor's `Retry-After` (RFC 9110 §10.2.3) as whole seconds from `now`, at
 * most MAX_RETRY_AFTER_SECONDS: delay-seconds (digits only) or an IMF-fixdate,
 * a past date counting as 0. Anything else (`1.5`, `2026-01-01`, the obsolete
 * date formats, garbage) is dropped: undefined.
 */
export function retryAfterSeconds(value: string | null, now: Date): string | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  let seconds: number;
  if (DELAY_SECONDS.test(text)) seconds = Number(text);
  else {
    const date = imfFixdate(text);
    if (date === undefined) return undefined;
    seconds = Math.max(0, Math.ceil((date - now.getTime()) / 1000));
  }
  return String(Math.min(seconds, MAX_RETRY_AFTER_SECONDS));
}

/** Milliseconds since the epoch of an IMF-fixdate, or undefined if `text` is not a real one. */
function imfFixdate(text: string): number | undefined {
  const match = IMF_FIXDATE.exec(text);
  if (!match) return undefined;
  const [, day, monthName, year, hour, minute, second] = match;
  const midnight = Date.UTC(Number(year), MONTHS.indexOf(monthName as string), Number(day));
  // Date.UTC rolls 31 Feb over into March: such a day does not exist. A second of 60 is a leap second.
  if (new Date(midnight).getUTCDate() !== Number(day)) return undefined;
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 60) return undefined;
  return midnight + ((Number(hour) * 60 + Number(minute)) * 60 + Number(second)) * 1000;
}
