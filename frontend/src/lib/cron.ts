// Cron expressions and time zones for schedules, checked here the way the server
// checks them (triggers/services.py: 5 fields or a macro), so a form can say what
// is wrong before it is sent, and say in words when a schedule fires.

export const CRON_MACROS = ['@hourly', '@daily', '@weekly', '@monthly', '@yearly'] as const;

export const CRON_PRESETS: readonly { label: string; cron: string }[] = [
  { label: 'Every 15 minutes', cron: '*/15 * * * *' },
  { label: 'Every hour', cron: '@hourly' },
  { label: 'Every day at midnight', cron: '@daily' },
  { label: 'Every day at 09:00', cron: '0 9 * * *' },
  { label: 'Weekdays at 09:00', cron: '0 9 * * 1-5' },
  { label: 'Every Monday at 09:00', cron: '0 9 * * 1' },
  { label: 'First day of the month at 00:00', cron: '@monthly' },
];

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
}

const FIELDS: FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day of week', min: 0, max: 7, names: DAYS },
];

function atom(text: string, spec: FieldSpec): number | null {
  if (/^\d+$/.test(text)) return Number(text);
  const index = spec.names?.indexOf(text.toLowerCase()) ?? -1;
  if (index < 0) return null;
  return spec.name === 'month' ? index + 1 : index;
}

function checkField(text: string, spec: FieldSpec): string | null {
  for (const part of text.split(',')) {
    const [range, step, extra] = part.split('/');
    if (extra !== undefined || range === '') return `the ${spec.name} field "${text}" is not valid`;
    if (step !== undefined && !/^[1-9]\d*$/.test(step)) return `the step in the ${spec.name} field "${text}" must be a positive number`;
    if (range === '*') continue;
    const bounds = range.split('-');
    if (bounds.length > 2) return `the ${spec.name} field "${text}" is not valid`;
    const values = bounds.map((b) => atom(b, spec));
    if (values.some((v) => v === null)) return `the ${spec.name} field "${text}" is not valid`;
    for (const v of values as number[]) {
      if (v < spec.min || v > spec.max) return `the ${spec.name} must be between ${spec.min} and ${spec.max} (got ${v})`;
    }
    if (values.length === 2 && (values[0] as number) > (values[1] as number)) return `the range "${range}" in the ${spec.name} field runs backwards`;
  }
  return null;
}

/** The expression as the server stores it: runs of spaces made one. */
export function normalizeCron(expression: string): string {
  return expression.trim().split(/\s+/).join(' ');
}

/** Null when the expression is valid, else what is wrong with it. */
export function checkCron(expression: string): string | null {
  const cron = normalizeCron(expression);
  if (!cron) return 'Enter a cron expression, such as */15 * * * *';
  if (cron.startsWith('@')) {
    return (CRON_MACROS as readonly string[]).includes(cron) ? null : `Unknown macro ${cron}; use one of ${CRON_MACROS.join(', ')}`;
  }
  const parts = cron.split(' ');
  if (parts.length !== 5) return `A cron expression has 5 fields (minute hour day-of-month month day-of-week); this has ${parts.length}`;
  for (let i = 0; i < 5; i++) {
    const problem = checkField(parts[i], FIELDS[i]);
    if (problem) return problem.charAt(0).toUpperCase() + problem.slice(1);
  }
  return null;
}

const two = (n: string) => n.padStart(2, '0');

/** When the expression fires, in words, for the common shapes; null for the others. */
export function describeCron(expression: string): string | null {
  const cron = normalizeCron(expression);
  const macros: Record<string, string> = {
    '@hourly': 'every hour, on the hour',
    '@daily': 'every day at 00:00',
    '@weekly': 'every Sunday at 00:00',
    '@monthly': 'on the 1st of every month at 00:00',
    '@yearly': 'every 1 January at 00:00',
  };
  if (cron in macros) return macros[cron];
  if (checkCron(cron)) return null;
  const [min, hour, dom, month, dow] = cron.split(' ');
  const num = /^\d+$/;
  if (cron === '* * * * *') return 'every minute';
  const every = /^\*\/(\d+)$/.exec(min);
  if (every && hour === '*' && dom === '*' && month === '*' && dow === '*') return `every ${every[1]} minutes`;
  if (num.test(min) && hour === '*' && dom === '*' && month === '*' && dow === '*') return `every hour at minute ${Number(min)}`;
  if (!num.test(min) || !num.test(hour) || month !== '*') return null;
  const at = `${two(hour)}:${two(min)}`;
  if (dom === '*' && dow === '*') return `every day at ${at}`;
  if (dom === '*' && (dow === '1-5' || dow.toLowerCase() === 'mon-fri')) return `weekdays at ${at}`;
  if (dom === '*' && num.test(dow)) return `every ${DAY_NAMES[Number(dow)]} at ${at}`;
  if (dom === '*' && DAYS.includes(dow.toLowerCase())) return `every ${DAY_NAMES[DAYS.indexOf(dow.toLowerCase())]} at ${at}`;
  if (num.test(dom) && dow === '*') return `on day ${Number(dom)} of every month at ${at}`;
  return null;
}

// ---- time zones -----------------------------------------------------------------

const FALLBACK_ZONES = ['UTC', 'Europe/London', 'Europe/Paris', 'Europe/Berlin', 'America/New_York', 'America/Chicago', 'America/Los_Angeles', 'Asia/Tokyo', 'Asia/Kolkata', 'Australia/Sydney'];

/** IANA zone names the browser knows, UTC first; `include` (a stored value) is always among them. */
export function timeZones(include?: string | null): string[] {
  let zones: string[];
  try {
    const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
    zones = intl.supportedValuesOf ? intl.supportedValuesOf('timeZone') : FALLBACK_ZONES;
  } catch {
    zones = FALLBACK_ZONES;
  }
  const set = new Set(zones.filter((z) => z !== 'UTC'));
  if (include && include !== 'UTC') set.add(include);
  return ['UTC', ...[...set].sort()];
}

/** The reader's zone, or UTC when the browser does not say. */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** A moment shown in a zone, e.g. "Mar 3, 2025, 09:00 (Europe/Paris)". */
export function formatInZone(iso: string | null | undefined, zone: string): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  try {
    return `${d.toLocaleString('en-US', { timeZone: zone, dateStyle: 'medium', timeStyle: 'short', hourCycle: 'h23' })} (${zone})`;
  } catch {
    return d.toISOString();
  }
}
