import { describe, expect, it } from 'vitest';
import {
  addDays,
  clockOf,
  clockRulesFor,
  extendedDueDate,
  firstDueDate,
  HIPAA_CLOCK,
  isCalendarDate,
} from './legal-clock.ts';

describe('legal clock', () => {
  it.each([
    ['2023-01-31', '2023-03-02'],
    ['2024-01-31', '2024-03-01'],
    ['2024-02-29', '2024-03-30'],
    ['2023-12-15', '2024-01-14'],
    ['2100-02-01', '2100-03-03'],
  ])('30 days after %s is %s (month ends, leap years, year ends)', (received, due) => {
    expect(firstDueDate(received, 'patient')).toBe(due);
  });

  it('extends once by 30 days from the first due date', () => {
    expect(extendedDueDate('2024-03-01')).toBe('2024-03-31');
    expect(extendedDueDate('2023-01-31')).toBe('2023-03-02');
  });

  it('knows calendar dates', () => {
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('2023-02-29')).toBe(false);
    expect(isCalendarDate('2100-02-29')).toBe(false);
    expect(isCalendarDate('2024-1-05')).toBe(false);
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
  });

  it('warns before the due date and flags overdue', () => {
    expect(clockOf('2024-03-10', true, '2024-03-01').state).toBe('on-time');
    expect(clockOf('2024-03-10', true, '2024-03-05')).toEqual({
      dueDate: '2024-03-10',
      daysLeft: 5,
      state: 'near-due',
    });
    expect(clockOf('2024-03-10', true, '2024-03-10').state).toBe('due-today');
    expect(clockOf('2024-03-10', true, '2024-03-12')).toEqual({
      dueDate: '2024-03-10',
      daysLeft: -2,
      state: 'overdue',
    });
    expect(clockOf('2024-03-10', false, '2024-03-12').state).toBe('stopped');
  });

  it('takes a state stricter than HIPAA for access', () => {
    expect(firstDueDate('2024-01-31', 'patient', clockRulesFor('CA'))).toBe('2024-02-15');
    expect(firstDueDate('2024-01-31', 'attorney', clockRulesFor('CA'))).toBe('2024-03-01');
    expect(clockRulesFor('ZZ')).toBe(HIPAA_CLOCK);
  });
});
