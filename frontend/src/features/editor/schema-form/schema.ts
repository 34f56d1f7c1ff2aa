/** Reads the JSON Schemas the backend serves for node data: resolves references, picks a widget per property, and
 * checks a value the way the server will, so most mistakes show while typing. */

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  examples?: unknown[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  discriminator?: { propertyName: string; mapping?: Record<string, string> };
}

export type WidgetKind =
  | "selector"
  | "url"
  | "url-list"
  | "string-list"
  | "cron"
  | "destination"
  | "enum"
  | "boolean"
  | "number"
  | "text"
  | "textarea"
  | "scalar"
  | "field-table"
  | "object-list";

export type Defs = Record<string, JsonSchema>;

export function resolve(schema: JsonSchema, defs: Defs): JsonSchema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.split("/").at(-1) ?? "";
  return { ...defs[name], ...schema, $ref: undefined };
}

/** `X | None` becomes X (the widget then allows an empty value). */
export function unwrap(schema: JsonSchema, defs: Defs): { schema: JsonSchema; nullable: boolean } {
  const resolved = resolve(schema, defs);
  const options = resolved.anyOf?.filter((option) => option.type !== "null");
  if (resolved.anyOf && options?.length === 1) {
    return {
      schema: { ...resolved, anyOf: undefined, ...resolve(options[0], defs) },
      nullable: options.length < resolved.anyOf.length,
    };
  }
  return { schema: resolved, nullable: false };
}

/** "max_depth" → "Max depth": pydantic's titles are title-cased, people read sentence case. */
export function labelOf(name: string, schema: JsonSchema): string {
  const text = schema.title ?? name.replace(/_/g, " ");
  if (/^ms$/i.test(text)) return "Milliseconds";
  const sentence = text.charAt(0).toUpperCase() + text.slice(1).toLowerCase();
  return sentence
    .replace(/\burls\b/gi, "URLs")
    .replace(/\burl\b/gi, "URL")
    .replace(/\bid\b/gi, "ID");
}

function looksLikeUrl(schema: JsonSchema): boolean {
  return Boolean(
    schema.examples?.some((example) => typeof example === "string" && /^https?:\/\//.test(example)),
  );
}

export function widgetKind(name: string, raw: JsonSchema, defs: Defs): WidgetKind {
  const { schema } = unwrap(raw, defs);
  if (schema.anyOf) return "scalar";
  if (schema.enum || schema.const !== undefined) return "enum";
  if (schema.type === "boolean") return "boolean";
  if (schema.type === "integer" || schema.type === "number") return "number";
  if (schema.type === "array") {
    const items = resolve(schema.items ?? {}, defs);
    if (items.type === "string") return name === "urls" || looksLikeUrl(items) ? "url-list" : "string-list";
    if (items.properties?.selector && items.properties.name) return "field-table";
    return "object-list";
  }
  if (name === "cron" || name.endsWith("_cron")) return "cron";
  if (name === "destination_id") return "destination";
  if (name.endsWith("selector")) return "selector";
  if (name === "url" || name.endsWith("_url") || name === "url_pattern" || looksLikeUrl(schema)) return "url";
  if ((schema.maxLength ?? 0) > 1000 || name === "instructions") return "textarea";
  return "text";
}

export function enumOptions(raw: JsonSchema, defs: Defs): string[] {
  const { schema } = unwrap(raw, defs);
  if (schema.enum) return schema.enum.map(String);
  return schema.const !== undefined ? [String(schema.const)] : [];
}

const isEmpty = (value: unknown) =>
  value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0);

const CRON_FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;

/** The message for a value the server would refuse, or null. */
export function checkValue(
  name: string,
  raw: JsonSchema,
  defs: Defs,
  value: unknown,
  required: boolean,
): string | null {
  const { schema } = unwrap(raw, defs);
  if (isEmpty(value)) {
    if (required && (schema.type !== "array" || (schema.minItems ?? 0) > 0)) return "This is required.";
    return null;
  }
  const kind = widgetKind(name, raw, defs);
  if (typeof value === "string") {
    if (schema.minLength !== undefined && value.length < schema.minLength)
      return `At least ${schema.minLength} characters.`;
    if (schema.maxLength !== undefined && value.length > schema.maxLength)
      return `At most ${schema.maxLength} characters.`;
    if (schema.pattern && !new RegExp(schema.pattern).test(value)) {
      return name === "name" || name === "field"
        ? "Start with a letter; use letters, digits, spaces, _ . -"
        : "This doesn't have the expected form.";
    }
    if (kind === "url" && !/^https?:\/\/[^\s/]+/i.test(value.replace("{page}", "1"))) {
      return "Enter a full web address starting with https:// or http://.";
    }
    if (schema.format === "uuid" && !/^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(value))
      return "Choose a destination.";
    if (kind === "cron") {
      const parts = value.trim().split(/\s+/);
      if (parts.length !== 5 || !parts.every((part) => CRON_FIELD.test(part))) {
        return "Five fields: minute hour day-of-month month day-of-week, like 0 9 * * 1.";
      }
    }
  }
  if (typeof value === "number") {
    if (schema.type === "integer" && !Number.isInteger(value)) return "Enter a whole number.";
    if (schema.minimum !== undefined && value < schema.minimum) return `At least ${schema.minimum}.`;
    if (schema.maximum !== undefined && value > schema.maximum) return `At most ${schema.maximum}.`;
  }
  if (Array.isArray(value)) {
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      return `At most ${schema.maxItems} items.`;
    if (kind === "url-list") {
      const bad = value.find((item) => typeof item !== "string" || !/^https?:\/\/[^\s/]+/i.test(item));
      if (bad !== undefined) return `${String(bad)} is not a full web address (https://…).`;
    }
  }
  return null;
}

/** The properties a form shows, in the schema's order; `label` is the canvas name and comes first. */
export function formProperties(schema: JsonSchema): [string, JsonSchema][] {
  return Object.entries(schema.properties ?? {});
}
