import { describe, expect, it } from 'vitest';
import { checkCron, describeCron, formatInZone, normalizeCron, timeZones } from './cron';

describe('checkCron', () => {
  it('accepts 5-field expressions and the macros', () => {
    for (const ok of ['*/15 * * * *', '0 9 * * 1-5', '0 0 1 jan *', '5,35 8-18/2 * * mon', '@daily', '  0   9 * * *  ']) {
      expect(checkCron(ok), ok).toBeNull();
    }
  });

  it('says what is wrong', () => {
    expect(checkCron('')).toMatch(/enter a cron expression/i);
    expect(checkCron('* * * *')).toMatch(/5 fields.*has 4/);
    expect(checkCron('@sometimes')).toMatch(/unknown macro/i);
    expect(checkCron('60 * * * *')).toMatch(/minute must be between 0 and 59 \(got 60\)/);
    expect(checkCron('0 24 * * *')).toMatch(/hour must be between 0 and 23/);
    expect(checkCron('0 0 0 * *')).toMatch(/day of month must be between 1 and 31/);
    expect(checkCron('*/0 * * * *')).toMatch(/step/);
    expect(checkCron('0 9 * * 5-1')).toMatch(/runs backwards/);
    expect(checkCron('0 9 * * funday')).toMatch(/day of week field/);
  });

  it('normalizes spaces like the server', () => {
    expect(normalizeCron('  0   9 * *  *')).toBe('0 9 * * *');
  });
});

describe('describeCron', () => {
  it('puts common shapes in words', () => {
    expect(describeCron('@hourly')).toBe('every hour, on the hour');
    expect(describeCron('*/15 * * * *')).toBe('every 15 minutes');
    expect(describeCron('5 * * * *')).toBe('every hour at minute 5');
    expect(describeCron('0 9 * * *')).toBe('every day at 09:00');
    expect(describeCron('30 8 * * 1-5')).toBe('weekdays at 08:30');
    expect(describeCron('0 9 * * 1')).toBe('every Monday at 09:00');
    expect(describeCron('0 9 * * sun')).toBe('every Sunday at 09:00');
    expect(describeCron('0 6 15 * *')).toBe('on day 15 of every month at 06:00');
  });

  it('gives up on the rest and on invalid ones', () => {
    expect(describeCron('0 9 1-7 * 1')).toBeNull();
    expect(describeCron('nonsense')).toBeNull();
  });
});

describe('time zones', () => {
  it('lists UTC first, sorted, and keeps a stored zone the browser may not list', () => {
    const zones = timeZones('Mars/Olympus_Mons');
    expect(zones[0]).toBe('UTC');
    expect(zones).toContain('Europe/Paris');
    expect(zones).toContain('Mars/Olympus_Mons');
    expect(zones.filter((z) => z === 'UTC')).toHaveLength(1);
  });

  it('formats a moment in a zone', () => {
    expect(formatInZone('2025-03-03T08:00:00Z', 'Europe/Paris')).toBe('Mar 3, 2025, 09:00 (Europe/Paris)');
    expect(formatInZone(null, 'UTC')).toBe('');
  });
});
