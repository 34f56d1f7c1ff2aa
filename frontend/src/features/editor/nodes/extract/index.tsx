/** The Extract node: shows its mode and the fields it reads. */
import type { NodeBodyProps, NodeDefinition } from "../registry";

function fieldNames(values: NodeBodyProps["values"]): string[] {
  return Array.isArray(values.fields)
    ? values.fields.map((field) => String((field as { name?: unknown }).name ?? "?"))
    : [];
}

function ExtractBody({ values }: NodeBodyProps) {
  const names = fieldNames(values);
  return (
    <div className="grid gap-0.5">
      <p className="text-muted-foreground">
        {values.mode === "list" ? `List of ${String(values.item_selector ?? "…")}` : "One row per page"}
      </p>
      <p className="truncate">{names.length ? names.join(", ") : "No fields yet"}</p>
    </div>
  );
}

export const extractNode: NodeDefinition = {
  Body: ExtractBody,
  check: (values) => {
    if (values.mode === "list" && !values.item_selector) {
      return "A list needs an item selector: the element that repeats once per row.";
    }
    const names = fieldNames(values);
    const repeated = names.filter((name, index) => names.indexOf(name) !== index);
    return repeated.length
      ? `Field names must be different; repeated: ${[...new Set(repeated)].join(", ")}.`
      : null;
  },
};
