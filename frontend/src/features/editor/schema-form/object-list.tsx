/** A list of small objects edited in place, e.g. a Clean up step's operations or AI extract's fields. When the
 * items are one of several kinds (`op`), a select picks the kind and the form shows that kind's options. */
import { Plus, Trash2 } from "lucide-react";

import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { NativeSelect } from "@/components/ui/input";

import { resolve, unwrap, type Defs, type JsonSchema } from "./schema";
import { SchemaFields } from "./schema-form";

type Item = Record<string, unknown>;

function variants(items: JsonSchema, defs: Defs): Map<string, JsonSchema> {
  const mapping = items.discriminator?.mapping ?? {};
  return new Map(Object.entries(mapping).map(([key, ref]) => [key, resolve({ $ref: ref }, defs)]));
}

export function ObjectListWidget({
  label,
  schema,
  defs,
  value,
  error,
  onChange,
}: {
  label: string;
  schema: JsonSchema;
  defs: Defs;
  value: unknown;
  error?: string;
  onChange: (value: Item[]) => void;
}) {
  const items = Array.isArray(value) ? (value as Item[]) : [];
  const itemSchema = resolve(unwrap(schema, defs).schema.items ?? {}, defs);
  const kinds = variants(itemSchema, defs);
  const key = itemSchema.discriminator?.propertyName;
  const schemaFor = (item: Item) => (key ? kinds.get(String(item[key])) : itemSchema) ?? itemSchema;
  const blank = (): Item => (key ? { [key]: kinds.keys().next().value ?? "" } : {});
  const replace = (index: number, next: Item) =>
    onChange(items.map((item, i) => (i === index ? next : item)));

  return (
    <fieldset className="grid gap-2 rounded-md border border-border p-3">
      <legend className="px-1 text-sm font-medium">{label}</legend>
      {items.map((item, index) => {
        const variant = schemaFor(item);
        const shown = Object.fromEntries(
          Object.entries(variant.properties ?? {}).filter(([name]) => name !== key),
        );
        return (
          <div key={index} className="grid gap-2 rounded-md bg-muted/50 p-2">
            <div className="flex items-end gap-2">
              {key ? (
                <Field label={`${label} ${index + 1}: kind`} className="flex-1">
                  <NativeSelect
                    value={String(item[key] ?? "")}
                    onChange={(event) => replace(index, { [key]: event.target.value })}
                  >
                    {[...kinds.keys()].map((option) => (
                      <option key={option} value={option}>
                        {option}
                      </option>
                    ))}
                  </NativeSelect>
                </Field>
              ) : (
                <span className="flex-1 text-xs font-medium text-muted-foreground">
                  {label} {index + 1}
                </span>
              )}
              <Button
                type="button"
                variant="ghost"
                size="icon"
                aria-label={`Remove ${label.toLowerCase()} ${index + 1}`}
                onClick={() => onChange(items.filter((_, i) => i !== index))}
              >
                <Trash2 aria-hidden />
              </Button>
            </div>
            <SchemaFields
              schema={{ ...variant, properties: shown }}
              defs={defs}
              values={item}
              onChange={(next) => replace(index, next)}
              prefix={`${label} ${index + 1}: `}
            />
          </div>
        );
      })}
      {error ? (
        <p role="alert" className="text-xs text-destructive">
          {error}
        </p>
      ) : null}
      <Button
        type="button"
        variant="outline"
        size="sm"
        className="justify-self-start"
        onClick={() => onChange([...items, blank()])}
      >
        <Plus aria-hidden /> Add
      </Button>
    </fieldset>
  );
}
