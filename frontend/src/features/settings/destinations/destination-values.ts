/** The destination form's fields and checks, and how they turn into the API's create and update bodies. */
import { z } from "zod";

import type {
  Destination,
  DestinationCreate,
  DestinationEvent,
  DestinationType,
  DestinationUpdate,
} from "@/hooks/queries/destinations";

export const TYPE_LABELS: Record<DestinationType, string> = {
  webhook: "Webhook",
  slack: "Slack",
  email: "Email",
  google_sheets: "Google Sheets",
};

export const EVENTS: { value: DestinationEvent; label: string }[] = [
  { value: "execution.succeeded", label: "Rows of every finished execution" },
  { value: "execution.failed", label: "Failed executions" },
  { value: "rows.changed", label: "Only new or changed rows (for monitoring)" },
];

const emails = (text: string) =>
  text
    .split(/[,\s]+/)
    .map((part) => part.trim())
    .filter(Boolean);

function isJsonObject(text: string): boolean {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed);
  } catch {
    return false;
  }
}

export const destinationSchema = z
  .object({
    editing: z.boolean(),
    type: z.enum(["webhook", "slack", "email", "google_sheets"]),
    name: z.string().trim().min(1, "Give the destination a name.").max(200, "Keep it under 200 characters."),
    url: z.string().trim(),
    webhookUrl: z.string().trim(),
    to: z.string(),
    spreadsheet: z.string().trim(),
    worksheet: z.string().trim(),
    mode: z.enum(["append", "replace", "upsert"]),
    keyColumn: z.string().trim(),
    credentials: z.string().trim(),
    events: z
      .array(z.enum(["execution.succeeded", "execution.failed", "rows.changed"]))
      .min(1, "Choose at least one event."),
  })
  .superRefine((values, ctx) => {
    const problem = (path: string, message: string) =>
      ctx.addIssue({ code: "custom", path: [path], message });
    const isUrl = (text: string) => z.url({ protocol: /^https?$/ }).safeParse(text).success;
    if (values.type === "webhook" && !isUrl(values.url)) problem("url", "Enter an http(s) URL.");
    if (values.type === "slack" && (values.webhookUrl || !values.editing) && !isUrl(values.webhookUrl))
      problem("webhookUrl", "Paste the Slack incoming-webhook URL.");
    if (values.type === "email") {
      const list = emails(values.to);
      if (list.length === 0) problem("to", "Enter at least one email address.");
      else if (list.length > 20) problem("to", "Up to 20 addresses.");
      else if (list.some((address) => !z.email().safeParse(address).success))
        problem("to", "One of the addresses is not valid.");
    }
    if (values.type === "google_sheets") {
      if (!values.spreadsheet) problem("spreadsheet", "Paste the spreadsheet's URL or id.");
      if (!values.worksheet) problem("worksheet", "Name the worksheet (tab).");
      if (values.mode === "upsert" && !values.keyColumn)
        problem("keyColumn", "Upsert needs the field that identifies a row.");
      if ((values.credentials || !values.editing) && !isJsonObject(values.credentials))
        problem("credentials", "Paste the service account's JSON key (a JSON object).");
    }
  });
export type DestinationValues = z.infer<typeof destinationSchema>;

export function emptyValues(): DestinationValues {
  return {
    editing: false,
    type: "webhook",
    name: "",
    url: "",
    webhookUrl: "",
    to: "",
    spreadsheet: "",
    worksheet: "Sheet1",
    mode: "append",
    keyColumn: "",
    credentials: "",
    events: ["execution.succeeded", "execution.failed"],
  };
}

/** The form filled from a destination's public config; secrets (Slack URL, Sheets credentials) stay blank. */
export function valuesFrom(destination: Destination): DestinationValues {
  const config = destination.config as Record<string, unknown>;
  const text = (key: string) => (typeof config[key] === "string" ? (config[key] as string) : "");
  return {
    ...emptyValues(),
    editing: true,
    type: destination.type,
    name: destination.name,
    url: text("url"),
    to: Array.isArray(config.to) ? (config.to as string[]).join(", ") : "",
    spreadsheet: text("spreadsheet_id") || text("spreadsheet"),
    worksheet: text("worksheet") || "Sheet1",
    mode: (text("mode") || "append") as DestinationValues["mode"],
    keyColumn: text("key_column"),
    events: Array.isArray(config.events) ? (config.events as DestinationEvent[]) : [],
  };
}

export function toCreate(values: DestinationValues): DestinationCreate {
  const { name, events } = values;
  switch (values.type) {
    case "webhook":
      return { type: "webhook", body: { name, events, url: values.url } };
    case "slack":
      return { type: "slack", body: { name, events, webhook_url: values.webhookUrl } };
    case "email":
      return { type: "email", body: { name, events, to: emails(values.to) } };
    case "google_sheets":
      return {
        type: "google_sheets",
        body: {
          name,
          events,
          spreadsheet: values.spreadsheet,
          worksheet: values.worksheet,
          mode: values.mode,
          key_column: values.keyColumn || null,
          credentials: JSON.parse(values.credentials) as Record<string, unknown>,
        },
      };
  }
}

/** Only this type's fields; blank secrets are left out so the stored ones are kept. */
export function toUpdate(values: DestinationValues): DestinationUpdate {
  const { name, events } = values;
  switch (values.type) {
    case "webhook":
      return { name, events, url: values.url };
    case "slack":
      return { name, events, ...(values.webhookUrl ? { webhook_url: values.webhookUrl } : {}) };
    case "email":
      return { name, events, to: emails(values.to) };
    case "google_sheets":
      return {
        name,
        events,
        spreadsheet: values.spreadsheet,
        worksheet: values.worksheet,
        mode: values.mode,
        key_column: values.keyColumn || null,
        ...(values.credentials
          ? { credentials: JSON.parse(values.credentials) as Record<string, unknown> }
          : {}),
      };
  }
}

/** One line saying where a destination sends rows. */
export function describeTarget(destination: Destination): string {
  const config = destination.config as Record<string, unknown>;
  switch (destination.type) {
    case "webhook":
      return String(config.url ?? "");
    case "slack":
      return config.host ? `Slack webhook on ${String(config.host)}` : "Slack webhook";
    case "email":
      return Array.isArray(config.to) ? config.to.join(", ") : "";
    case "google_sheets":
      return [config.worksheet, config.mode, config.account].filter(Boolean).map(String).join(" · ");
  }
}
