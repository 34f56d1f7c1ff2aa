"use client";

/** Builds a cron expression from presets (or takes a custom one) with a time zone, and shows what it means and
 * its next runs as the backend computes them, with the backend's complaints on the right field. */
import { useId, useState } from "react";

import { Field } from "@/components/ui/field";
import { Input, NativeSelect } from "@/components/ui/input";
import { useDebouncedValue } from "@/features/bots/use-debounced-value";
import { useSchedulePreview } from "@/hooks/queries/schedules";
import { errorMessage } from "@/lib/api/client";

import {
  clockOf,
  fromCron,
  parseClock,
  PRESET_LABELS,
  switchPreset,
  toCron,
  WEEKDAYS,
  type CronPreset,
  type PresetKind,
} from "./cron-presets";

export interface CronValue {
  expression: string;
  timezone: string;
}

/** Which field a backend error belongs to: the time zone, or the expression. */
export function errorField(error: unknown): "timezone" | "expression" {
  const code = (error as { error?: { code?: string } } | null)?.error?.code;
  return code === "unknown_timezone" ? "timezone" : "expression";
}

export function timeZones(): string[] {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return ["UTC", ...zones.filter((zone) => zone !== "UTC")];
}

const MINUTES = Array.from({ length: 12 }, (_, index) => index * 5);
const DAYS = Array.from({ length: 31 }, (_, index) => index + 1);
const previewTime = (timezone: string) =>
  new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "short", timeZone: timezone });

export function CronBuilder({
  value,
  onChange,
  expressionError,
  timezoneError,
}: {
  value: CronValue;
  onChange: (value: CronValue) => void;
  expressionError?: string;
  timezoneError?: string;
}) {
  const [preset, setPreset] = useState<CronPreset>(() => fromCron(value.expression));
  const [zones] = useState(timeZones);
  const previewId = useId();
  const draft = useDebouncedValue(value, 400);
  const preview = useSchedulePreview(draft.expression, draft.timezone);
  const previewError = preview.isError ? preview.error : null;
  const problemOn = previewError ? errorField(previewError) : null;

  function update(next: CronPreset) {
    setPreset(next);
    onChange({ ...value, expression: toCron(next) });
  }

  function updateClock(text: string) {
    const clock = parseClock(text);
    if (clock && preset.kind !== "hourly" && preset.kind !== "custom") update({ ...preset, ...clock });
  }

  const expressionProblem =
    expressionError ?? (problemOn === "expression" ? errorMessage(previewError) : undefined);
  const timezoneProblem =
    timezoneError ?? (problemOn === "timezone" ? errorMessage(previewError) : undefined);

  return (
    <div className="grid gap-4">
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Repeat">
          <NativeSelect
            value={preset.kind}
            onChange={(event) => update(switchPreset(preset, event.target.value as PresetKind))}
          >
            {Object.entries(PRESET_LABELS).map(([kind, label]) => (
              <option key={kind} value={kind}>
                {label}
              </option>
            ))}
          </NativeSelect>
        </Field>
        {preset.kind === "hourly" ? (
          <Field label="At minute">
            <NativeSelect
              value={preset.minute}
              onChange={(event) => update({ ...preset, minute: Number(event.target.value) })}
            >
              {MINUTES.map((minute) => (
                <option key={minute} value={minute}>
                  :{String(minute).padStart(2, "0")}
                </option>
              ))}
            </NativeSelect>
          </Field>
        ) : null}
        {preset.kind === "weekly" ? (
          <Field label="Day of the week">
            <NativeSelect
              value={preset.weekday}
              onChange={(event) => update({ ...preset, weekday: Number(event.target.value) })}
            >
              {WEEKDAYS.map((day, index) => (
                <option key={day} value={index}>
                  {day}
                </option>
              ))}
            </NativeSelect>
          </Field>
        ) : null}
        {preset.kind === "monthly" ? (
          <Field label="Day of the month" hint="Months without this day are skipped.">
            <NativeSelect
              value={preset.day}
              onChange={(event) => update({ ...preset, day: Number(event.target.value) })}
            >
              {DAYS.map((day) => (
                <option key={day} value={day}>
                  {day}
                </option>
              ))}
            </NativeSelect>
          </Field>
        ) : null}
        {preset.kind !== "hourly" && preset.kind !== "custom" ? (
          <Field label="Time">
            <Input
              type="time"
              step={60}
              value={clockOf(preset)}
              onChange={(event) => updateClock(event.target.value)}
            />
          </Field>
        ) : null}
      </div>
      {preset.kind === "custom" ? (
        <Field
          label="Cron expression"
          hint="Five fields: minute hour day-of-month month day-of-week, e.g. 0 9 * * 1-5."
          error={expressionProblem}
        >
          <Input
            value={preset.expression}
            spellCheck={false}
            className="font-mono"
            onChange={(event) => update({ kind: "custom", expression: event.target.value })}
          />
        </Field>
      ) : expressionProblem ? (
        <p role="alert" className="text-xs text-destructive">
          {expressionProblem}
        </p>
      ) : null}
      <Field label="Time zone" error={timezoneProblem}>
        <NativeSelect
          value={value.timezone}
          onChange={(event) => onChange({ ...value, timezone: event.target.value })}
        >
          {(zones.includes(value.timezone) ? zones : [value.timezone, ...zones]).map((zone) => (
            <option key={zone} value={zone}>
              {zone.replaceAll("_", " ")}
            </option>
          ))}
        </NativeSelect>
      </Field>
      <section aria-labelledby={previewId} aria-live="polite" className="rounded-lg bg-muted/50 p-3 text-sm">
        <h3 id={previewId} className="font-medium">
          {preview.data && !previewError ? preview.data.description : "Next runs"}
          {preview.isFetching ? <span className="ml-2 text-xs text-muted-foreground">checking…</span> : null}
        </h3>
        {preview.data && !previewError ? (
          <>
            <p className="font-mono text-xs text-muted-foreground">{preview.data.cron_expression}</p>
            <ol aria-label="Next 5 runs" className="mt-2 grid gap-0.5">
              {preview.data.preview.map((run) => (
                <li key={run}>{previewTime(preview.data.timezone).format(new Date(run))}</li>
              ))}
            </ol>
          </>
        ) : (
          <p className="text-muted-foreground">
            {previewError ? "Fix the schedule to see its next runs." : "Choose when the bot runs."}
          </p>
        )}
      </section>
    </div>
  );
}
