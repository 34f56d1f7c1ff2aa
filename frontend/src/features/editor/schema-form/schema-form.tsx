/** A node's property form, generated from the JSON Schema the backend serves for its data. */
import type { PickMode } from "../picker";
import { DestinationWidget } from "./destination-widget";
import { FieldTable } from "./field-table";
import { ObjectListWidget } from "./object-list";
import { checkValue, formProperties, labelOf, widgetKind, type Defs, type JsonSchema } from "./schema";
import {
  EnumWidget,
  LinesWidget,
  NumberWidget,
  ScalarWidget,
  SelectorWidget,
  SwitchWidget,
  TextWidget,
  type WidgetProps,
} from "./widgets";

type Values = Record<string, unknown>;

interface FieldsProps {
  schema: JsonSchema;
  defs: Defs;
  values: Values;
  onChange: (values: Values) => void;
  /** Messages from the server's validation, by property name. */
  serverErrors?: Record<string, string>;
  /** Prepended to labels inside lists, so every control's name is unique ("Operation 2: pattern"). */
  prefix?: string;
  pageUrl?: string;
  pickMode?: PickMode;
}

const SIMPLE: Partial<Record<WidgetProps["kind"], (props: WidgetProps) => React.ReactNode>> = {
  selector: SelectorWidget,
  url: TextWidget,
  cron: TextWidget,
  destination: DestinationWidget,
  text: TextWidget,
  textarea: TextWidget,
  number: NumberWidget,
  boolean: SwitchWidget,
  enum: EnumWidget,
  scalar: ScalarWidget,
  "url-list": LinesWidget,
  "string-list": LinesWidget,
};

export function SchemaFields({
  schema,
  defs,
  values,
  onChange,
  serverErrors,
  prefix = "",
  pageUrl,
  pickMode,
}: FieldsProps) {
  const required = new Set(schema.required ?? []);
  const set = (name: string, value: unknown) => {
    const next = { ...values };
    if (value === null || value === undefined) delete next[name];
    else next[name] = value;
    onChange(next);
  };
  return (
    <div className="grid gap-4">
      {formProperties(schema).map(([name, property]) => {
        const kind = widgetKind(name, property, defs);
        const label = prefix + labelOf(name, property);
        const error =
          checkValue(name, property, defs, values[name], required.has(name)) ??
          serverErrors?.[name] ??
          undefined;
        if (kind === "field-table") {
          return (
            <FieldTable
              key={name}
              label={label}
              schema={property}
              defs={defs}
              value={values[name]}
              error={error}
              onChange={(next) => set(name, next)}
              pageUrl={pageUrl}
            />
          );
        }
        if (kind === "object-list") {
          return (
            <ObjectListWidget
              key={name}
              label={label}
              schema={property}
              defs={defs}
              value={values[name]}
              error={error}
              onChange={(next) => set(name, next)}
            />
          );
        }
        const Widget = SIMPLE[kind] ?? TextWidget;
        return (
          <Widget
            key={name}
            name={name}
            label={label}
            kind={kind}
            schema={property}
            defs={defs}
            value={values[name]}
            required={required.has(name)}
            error={error}
            onChange={(value) => set(name, value)}
            pageUrl={pageUrl}
            pickMode={name === "item_selector" ? "list" : pickMode}
          />
        );
      })}
    </div>
  );
}

export function SchemaForm(props: Omit<FieldsProps, "defs" | "prefix">) {
  return <SchemaFields {...props} defs={props.schema.$defs ?? {}} />;
}
