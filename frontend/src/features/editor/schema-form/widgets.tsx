/** One labelled control per kind of node property: text, URL, selector with "Pick element", cron, number with
 * bounds, switch, select, and lists of URLs or words. */
import { Crosshair } from "lucide-react";
import { Switch } from "radix-ui";
import { useState } from "react";

import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input, NativeSelect, Textarea } from "@/components/ui/input";

import { pickElement, type PickMode } from "../picker";
import { enumOptions, unwrap, type Defs, type JsonSchema, type WidgetKind } from "./schema";

export interface WidgetProps {
  name: string;
  label: string;
  kind: WidgetKind;
  schema: JsonSchema;
  defs: Defs;
  value: unknown;
  required: boolean;
  error?: string;
  onChange: (value: unknown) => void;
  /** The page "Pick element" opens. */
  pageUrl?: string;
  pickMode?: PickMode;
}

const text = (value: unknown) => (value === undefined || value === null ? "" : String(value));

export function SelectorWidget({
  label,
  value,
  error,
  onChange,
  schema,
  pageUrl,
  pickMode = "single",
}: WidgetProps) {
  const [picked, setPicked] = useState<string | null>(null);
  const pick = async () => {
    const result = await pickElement({ url: pageUrl ?? "", mode: pickMode });
    if (!result) return;
    onChange(result.css || result.xpath);
    setPicked(
      `${result.count} ${result.count === 1 ? "match" : "matches"}${result.sample ? `; first: “${result.sample}”` : ""}`,
    );
  };
  return (
    <div className="grid gap-1">
      <Field label={label} error={error} hint={picked ?? schema.description}>
        <Input
          className="font-mono"
          value={text(value)}
          placeholder={String(schema.examples?.[0] ?? ".price")}
          onChange={(event) => {
            setPicked(null);
            onChange(event.target.value === "" ? null : event.target.value);
          }}
        />
      </Field>
      <Button
        type="button"
        variant="outline"
        size="sm"
        className="justify-self-start"
        aria-label={`Pick element for ${label}`}
        onClick={() => void pick()}
      >
        <Crosshair aria-hidden /> Pick element
      </Button>
    </div>
  );
}

export function TextWidget({ kind, label, value, error, onChange, schema }: WidgetProps) {
  const hint = kind === "cron" ? "minute hour day month weekday, e.g. 0 9 * * 1" : schema.description;
  const Control = kind === "textarea" ? Textarea : Input;
  return (
    <Field label={label} error={error} hint={hint}>
      <Control
        type={kind === "url" ? "url" : undefined}
        className={kind === "cron" ? "font-mono" : undefined}
        value={text(value)}
        placeholder={kind === "url" ? "https://example.com/" : undefined}
        onChange={(event) => onChange(event.target.value === "" ? null : event.target.value)}
      />
    </Field>
  );
}

export function NumberWidget({ label, value, error, onChange, schema, defs }: WidgetProps) {
  const { schema: inner } = unwrap(schema, defs);
  const bounds = [
    inner.minimum !== undefined ? `from ${inner.minimum}` : null,
    inner.maximum !== undefined ? `to ${inner.maximum}` : null,
  ]
    .filter(Boolean)
    .join(" ");
  return (
    <Field
      label={label}
      error={error}
      hint={[schema.description, bounds].filter(Boolean).join(" · ") || undefined}
    >
      <Input
        type="number"
        inputMode="numeric"
        min={inner.minimum}
        max={inner.maximum}
        step={inner.type === "integer" ? 1 : "any"}
        value={text(value)}
        onChange={(event) => onChange(event.target.value === "" ? null : Number(event.target.value))}
      />
    </Field>
  );
}

export function SwitchWidget({ label, value, onChange, schema }: WidgetProps) {
  const checked = value === undefined || value === null ? schema.default === true : Boolean(value);
  return (
    <div className="flex items-start justify-between gap-3">
      <Field label={label} hint={schema.description} className="flex-1">
        <Switch.Root
          checked={checked}
          onCheckedChange={onChange}
          className="relative mt-1 h-5 w-9 shrink-0 rounded-full bg-muted outline-none focus-visible:ring-2 focus-visible:ring-ring data-[state=checked]:bg-primary"
        >
          <Switch.Thumb className="block size-4 translate-x-0.5 rounded-full bg-white shadow transition-transform data-[state=checked]:translate-x-[18px]" />
        </Switch.Root>
      </Field>
    </div>
  );
}

export function EnumWidget({ label, value, error, onChange, schema, defs, required }: WidgetProps) {
  const options = enumOptions(schema, defs);
  const { nullable } = unwrap(schema, defs);
  return (
    <Field label={label} error={error} hint={schema.description}>
      <NativeSelect
        value={text(value ?? schema.default)}
        onChange={(event) => onChange(event.target.value || null)}
      >
        {nullable || !required ? <option value="">(not set)</option> : null}
        {options.map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </NativeSelect>
    </Field>
  );
}

/** A value that may be text, a number or true/false (a filter's comparison value, a default). */
export function ScalarWidget({ label, value, error, onChange, schema }: WidgetProps) {
  return (
    <Field
      label={label}
      error={error}
      hint={schema.description ?? "Numbers and true/false are read as such."}
    >
      <Input
        value={text(value)}
        onChange={(event) => {
          const raw = event.target.value;
          if (raw === "") onChange(null);
          else if (raw === "true" || raw === "false") onChange(raw === "true");
          else if (/^-?\d+(\.\d+)?$/.test(raw)) onChange(Number(raw));
          else onChange(raw);
        }}
      />
    </Field>
  );
}

const splitLines = (raw: string) =>
  raw
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);

/** One entry per line: start URLs, include/exclude patterns, dedupe keys. */
export function LinesWidget({ kind, label, value, error, onChange, schema }: WidgetProps) {
  const lines = Array.isArray(value) ? value.map(String) : [];
  const joined = lines.join("\n");
  const [draft, setDraft] = useState(joined);
  const [seen, setSeen] = useState(joined);
  // Undo or a paste elsewhere changed the list: show it, unless it is only the draft's blank lines.
  if (joined !== seen) {
    setSeen(joined);
    if (splitLines(draft).join("\n") !== joined) setDraft(joined);
  }
  return (
    <Field
      label={label}
      error={error}
      hint={`${schema.description ?? ""} One ${kind === "url-list" ? "web address" : "entry"} per line.`.trim()}
    >
      <Textarea
        rows={Math.min(8, Math.max(2, lines.length + 1))}
        className="font-mono text-xs"
        value={draft}
        onChange={(event) => {
          setDraft(event.target.value);
          const next = splitLines(event.target.value);
          setSeen(next.join("\n"));
          onChange(next);
        }}
      />
    </Field>
  );
}
