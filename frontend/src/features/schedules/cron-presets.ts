/** The cron builder's presets: each one a few choices that make a five-field cron expression, and back. */

export type CronPreset =
  | { kind: "hourly"; minute: number }
  | { kind: "daily"; hour: number; minute: number }
  | { kind: "weekdays"; hour: number; minute: number }
  | { kind: "weekly"; weekday: number; hour: number; minute: number }
  | { kind: "monthly"; day: number; hour: number; minute: number }
  | { kind: "custom"; expression: string };

export type PresetKind = CronPreset["kind"];

export const PRESET_LABELS: Record<PresetKind, string> = {
  hourly: "Every hour",
  daily: "Every day at…",
  weekdays: "Every weekday (Mon–Fri) at…",
  weekly: "Every week on…",
  monthly: "Every month on…",
  custom: "Custom cron expression",
};

export const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

export function toCron(preset: CronPreset): string {
  switch (preset.kind) {
    case "hourly":
      return `${preset.minute} * * * *`;
    case "daily":
      return `${preset.minute} ${preset.hour} * * *`;
    case "weekdays":
      return `${preset.minute} ${preset.hour} * * 1-5`;
    case "weekly":
      return `${preset.minute} ${preset.hour} * * ${preset.weekday}`;
    case "monthly":
      return `${preset.minute} ${preset.hour} ${preset.day} * *`;
    case "custom":
      return preset.expression.trim();
  }
}

const NUMBER = "(\\d{1,2})";

/** The preset an expression was made with, or `custom` for anything else. */
export function fromCron(expression: string): CronPreset {
  const text = expression.trim().split(/\s+/).join(" ");
  const match = (pattern: string) => new RegExp(`^${pattern}$`).exec(text)?.slice(1).map(Number) ?? null;
  let found: number[] | null;
  if ((found = match(`${NUMBER} \\* \\* \\* \\*`))) return { kind: "hourly", minute: found[0] };
  if ((found = match(`${NUMBER} ${NUMBER} \\* \\* \\*`)))
    return { kind: "daily", minute: found[0], hour: found[1] };
  if ((found = match(`${NUMBER} ${NUMBER} \\* \\* 1-5`))) {
    return { kind: "weekdays", minute: found[0], hour: found[1] };
  }
  if ((found = match(`${NUMBER} ${NUMBER} \\* \\* ([0-6])`))) {
    return { kind: "weekly", minute: found[0], hour: found[1], weekday: found[2] };
  }
  if ((found = match(`${NUMBER} ${NUMBER} ${NUMBER} \\* \\*`))) {
    return { kind: "monthly", minute: found[0], hour: found[1], day: found[2] };
  }
  return { kind: "custom", expression: text };
}

/** Switching presets keeps the time already chosen. */
export function switchPreset(current: CronPreset, kind: PresetKind): CronPreset {
  const hour = "hour" in current ? current.hour : 9;
  const minute = "minute" in current ? current.minute : 0;
  switch (kind) {
    case "hourly":
      return { kind, minute };
    case "daily":
    case "weekdays":
      return { kind, hour, minute };
    case "weekly":
      return { kind, weekday: "weekday" in current ? current.weekday : 1, hour, minute };
    case "monthly":
      return { kind, day: "day" in current ? current.day : 1, hour, minute };
    case "custom":
      return { kind, expression: toCron(current) };
  }
}

export function clockOf(preset: { hour: number; minute: number }): string {
  return `${String(preset.hour).padStart(2, "0")}:${String(preset.minute).padStart(2, "0")}`;
}

export function parseClock(value: string): { hour: number; minute: number } | null {
  const match = /^(\d{2}):(\d{2})$/.exec(value);
  return match ? { hour: Number(match[1]), minute: Number(match[2]) } : null;
}
