/** The Extract step's fields as an editable table: column name, selector (with "Pick element"), attribute, type,
 * and the clean-up operations of each field. */
import { ChevronDown, ChevronRight, Crosshair, Plus, Trash2 } from "lucide-react";
import { Fragment, useState } from "react";

import { Button } from "@/components/ui/button";
import { Input, NativeSelect } from "@/components/ui/input";

import { pickElement } from "../picker";
import { ObjectListWidget } from "./object-list";
import { checkValue, enumOptions, resolve, unwrap, type Defs, type JsonSchema } from "./schema";

type Row = Record<string, unknown>;

interface FieldTableProps {
  label: string;
  schema: JsonSchema;
  defs: Defs;
  value: unknown;
  error?: string;
  onChange: (rows: Row[]) => void;
  pageUrl?: string;
}

const cell = "px-1 py-1 align-top";

export function FieldTable({ label, schema, defs, value, error, onChange, pageUrl }: FieldTableProps) {
  const rows = Array.isArray(value) ? (value as Row[]) : [];
  const item = resolve(unwrap(schema, defs).schema.items ?? {}, defs);
  const props = item.properties ?? {};
  const [open, setOpen] = useState<number | null>(null);
  const [samples, setSamples] = useState<Record<number, string>>({});
  const update = (index: number, patch: Row) =>
    onChange(
      rows.map((row, i) =>
        i === index
          ? Object.fromEntries(Object.entries({ ...row, ...patch }).filter(([, v]) => v !== null && v !== ""))
          : row,
      ),
    );
  const pick = async (index: number) => {
    const result = await pickElement({ url: pageUrl ?? "", mode: "single" });
    if (!result) return;
    update(index, { selector: result.css || result.xpath, selector_type: result.css ? "css" : "xpath" });
    setSamples((current) => ({ ...current, [index]: `${result.count} matched; first: “${result.sample}”` }));
  };
  const rowError = (row: Row) =>
    ["name", "selector"]
      .map((name) => checkValue(name, props[name] ?? {}, defs, row[name], true))
      .find(Boolean);

  return (
    <fieldset className="grid gap-2">
      <legend className="mb-1 text-sm font-medium">{label}</legend>
      <div className="overflow-x-auto rounded-md border border-border">
        <table className="w-full min-w-[34rem] text-xs">
          <thead className="bg-muted/60 text-left">
            <tr>
              <th className={cell} scope="col">
                <span className="sr-only">Operations</span>
              </th>
              <th className={cell} scope="col">
                Name
              </th>
              <th className={cell} scope="col">
                Selector
              </th>
              <th className={cell} scope="col">
                Attribute
              </th>
              <th className={cell} scope="col">
                Type
              </th>
              <th className={cell} scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row, index) => {
              const n = index + 1;
              const problem = rowError(row);
              const ops = Array.isArray(row.transforms) ? row.transforms.length : 0;
              return (
                <Fragment key={index}>
                  <tr className="border-t border-border">
                    <td className={cell}>
                      <Button
                        type="button"
                        variant="ghost"
                        size="icon"
                        className="size-7"
                        aria-expanded={open === index}
                        aria-label={`Clean-up operations of field ${n} (${ops})`}
                        onClick={() => setOpen(open === index ? null : index)}
                      >
                        {open === index ? <ChevronDown aria-hidden /> : <ChevronRight aria-hidden />}
                      </Button>
                    </td>
                    <td className={cell}>
                      <Input
                        aria-label={`Field ${n} name`}
                        aria-invalid={problem && !row.name ? true : undefined}
                        className="h-8 text-xs"
                        value={String(row.name ?? "")}
                        onChange={(e) => update(index, { name: e.target.value })}
                      />
                    </td>
                    <td className={cell}>
                      <div className="flex gap-1">
                        <Input
                          aria-label={`Field ${n} selector`}
                          className="h-8 font-mono text-xs"
                          value={String(row.selector ?? "")}
                          onChange={(e) => update(index, { selector: e.target.value })}
                        />
                        <Button
                          type="button"
                          variant="outline"
                          size="icon"
                          className="size-8 shrink-0"
                          aria-label={`Pick element for field ${n}`}
                          title="Pick element"
                          onClick={() => void pick(index)}
                        >
                          <Crosshair aria-hidden />
                        </Button>
                      </div>
                      {samples[index] ? (
                        <p className="mt-0.5 truncate text-[11px] text-muted-foreground">{samples[index]}</p>
                      ) : null}
                    </td>
                    <td className={cell}>
                      <Input
                        aria-label={`Field ${n} attribute`}
                        placeholder="text"
                        className="h-8 text-xs"
                        value={String(row.attribute ?? "")}
                        onChange={(e) => update(index, { attribute: e.target.value })}
                      />
                    </td>
                    <td className={cell}>
                      <NativeSelect
                        aria-label={`Field ${n} type`}
                        className="h-8 text-xs"
                        value={String(row.type ?? "text")}
                        onChange={(e) => update(index, { type: e.target.value })}
                      >
                        {enumOptions(props.type ?? {}, defs).map((option) => (
                          <option key={option}>{option}</option>
                        ))}
                      </NativeSelect>
                    </td>
                    <td className={cell}>
                      <Button
                        type="button"
                        variant="ghost"
                        size="icon"
                        className="size-8"
                        aria-label={`Remove field ${n}`}
                        onClick={() => onChange(rows.filter((_, i) => i !== index))}
                      >
                        <Trash2 aria-hidden />
                      </Button>
                    </td>
                  </tr>
                  {problem ? (
                    <tr>
                      <td />
                      <td colSpan={5} className="px-1 pb-1 text-[11px] text-destructive" role="alert">
                        Field {n}: {problem}
                      </td>
                    </tr>
                  ) : null}
                  {open === index ? (
                    <tr>
                      <td />
                      <td colSpan={5} className="p-1">
                        <NativeSelect
                          aria-label={`Field ${n} selector kind`}
                          className="mb-2 h-8 text-xs"
                          value={String(row.selector_type ?? "css")}
                          onChange={(e) => update(index, { selector_type: e.target.value })}
                        >
                          {enumOptions(props.selector_type ?? {}, defs).map((option) => (
                            <option key={option}>{option}</option>
                          ))}
                        </NativeSelect>
                        <ObjectListWidget
                          label={`Field ${n} operation`}
                          schema={props.transforms ?? {}}
                          defs={defs}
                          value={row.transforms}
                          onChange={(next) => update(index, { transforms: next })}
                        />
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      </div>
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
        onClick={() =>
          onChange([
            ...rows,
            { name: `field_${rows.length + 1}`, selector: "", selector_type: "css", type: "text" },
          ])
        }
      >
        <Plus aria-hidden /> Add field
      </Button>
    </fieldset>
  );
}
