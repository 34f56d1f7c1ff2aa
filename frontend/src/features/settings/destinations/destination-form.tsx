"use client";

/** The dialog that adds a destination or edits one; a new webhook's signing secret goes to the caller. */
import { zodResolver } from "@hookform/resolvers/zod";
import { Controller, useForm, useWatch } from "react-hook-form";

import { Button } from "@/components/ui/button";
import { Dialog, DialogContent } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input, NativeSelect, Textarea } from "@/components/ui/input";
import { useCreateDestination, useUpdateDestination, type Destination } from "@/hooks/queries/destinations";
import { errorMessage } from "@/lib/api/client";

import {
  destinationSchema,
  emptyValues,
  EVENTS,
  toCreate,
  toUpdate,
  TYPE_LABELS,
  valuesFrom,
  type DestinationValues,
} from "./destination-values";

interface DestinationFormProps {
  /** The destination being edited; none adds a new one. */
  destination: Destination | null;
  onClose: () => void;
  onSecret: (secret: string) => void;
}

export function DestinationFormDialog({ destination, onClose, onSecret }: DestinationFormProps) {
  return (
    <Dialog open onOpenChange={(open) => !open && onClose()}>
      <DialogContent
        title={destination ? `Edit ${destination.name}` : "Add destination"}
        description="Where finished executions send their rows."
        className="max-h-[90vh] overflow-y-auto"
      >
        <DestinationForm destination={destination} onClose={onClose} onSecret={onSecret} />
      </DialogContent>
    </Dialog>
  );
}

function DestinationForm({ destination, onClose, onSecret }: DestinationFormProps) {
  const create = useCreateDestination();
  const update = useUpdateDestination();
  const form = useForm<DestinationValues>({
    resolver: zodResolver(destinationSchema),
    defaultValues: destination ? valuesFrom(destination) : emptyValues(),
  });
  const { errors, isSubmitting } = form.formState;
  const type = useWatch({ control: form.control, name: "type" });
  const mode = useWatch({ control: form.control, name: "mode" });
  const editing = destination !== null;

  const onSubmit = form.handleSubmit(async (values) => {
    try {
      if (destination) {
        await update.mutateAsync({ id: destination.id, body: toUpdate(values) });
      } else {
        const created = await create.mutateAsync(toCreate(values));
        if (created.secret) onSecret(created.secret);
      }
      onClose();
    } catch {
      // Shown above the buttons.
    }
  });
  const problem = create.error ?? update.error;

  return (
    <form className="grid gap-4" onSubmit={onSubmit} noValidate>
      {editing ? null : (
        <Field label="Type">
          <NativeSelect {...form.register("type")}>
            {Object.entries(TYPE_LABELS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </NativeSelect>
        </Field>
      )}
      <Field label="Name" error={errors.name?.message}>
        <Input placeholder="Orders webhook" {...form.register("name")} />
      </Field>
      {type === "webhook" ? (
        <Field
          label="URL"
          hint="We POST JSON here, signed with a secret you see once."
          error={errors.url?.message}
        >
          <Input type="url" placeholder="https://example.com/hooks/scrapeflow" {...form.register("url")} />
        </Field>
      ) : null}
      {type === "slack" ? (
        <Field
          label="Slack webhook URL"
          hint={
            editing
              ? "Stored encrypted. Leave blank to keep the current one."
              : "Stored encrypted, never shown again."
          }
          error={errors.webhookUrl?.message}
        >
          <Input
            type="url"
            placeholder="https://hooks.slack.com/services/…"
            {...form.register("webhookUrl")}
          />
        </Field>
      ) : null}
      {type === "email" ? (
        <Field label="Recipients" hint="Up to 20 addresses, separated by commas." error={errors.to?.message}>
          <Input placeholder="ops@example.com, ada@example.com" {...form.register("to")} />
        </Field>
      ) : null}
      {type === "google_sheets" ? (
        <>
          <Field label="Spreadsheet" hint="Its URL or id." error={errors.spreadsheet?.message}>
            <Input placeholder="https://docs.google.com/spreadsheets/d/…" {...form.register("spreadsheet")} />
          </Field>
          <div className="grid grid-cols-2 gap-3">
            <Field label="Worksheet" error={errors.worksheet?.message}>
              <Input {...form.register("worksheet")} />
            </Field>
            <Field label="Mode">
              <NativeSelect {...form.register("mode")}>
                <option value="append">Append rows</option>
                <option value="replace">Replace the sheet</option>
                <option value="upsert">Update or add (upsert)</option>
              </NativeSelect>
            </Field>
          </div>
          {mode === "upsert" ? (
            <Field
              label="Key column"
              hint="The field that identifies a row."
              error={errors.keyColumn?.message}
            >
              <Input placeholder="url" {...form.register("keyColumn")} />
            </Field>
          ) : null}
          <Field
            label="Service account JSON key"
            hint={
              editing
                ? "Stored encrypted. Leave blank to keep the current one."
                : "Share the spreadsheet with the service account's email. Stored encrypted, never shown again."
            }
            error={errors.credentials?.message}
          >
            <Textarea className="font-mono text-xs" rows={4} {...form.register("credentials")} />
          </Field>
        </>
      ) : null}
      <Controller
        control={form.control}
        name="events"
        render={({ field }) => (
          <fieldset className="grid gap-2">
            <legend className="mb-1 text-sm font-medium">Send</legend>
            {EVENTS.map((event) => (
              <label key={event.value} className="flex items-center gap-2 text-sm">
                <input
                  type="checkbox"
                  className="size-4 accent-primary"
                  checked={field.value.includes(event.value)}
                  onChange={(change) =>
                    field.onChange(
                      change.target.checked
                        ? [...field.value, event.value]
                        : field.value.filter((value) => value !== event.value),
                    )
                  }
                />
                {event.label}
              </label>
            ))}
            {errors.events ? (
              <p role="alert" className="text-xs text-destructive">
                {errors.events.message}
              </p>
            ) : null}
          </fieldset>
        )}
      />
      {problem ? (
        <p role="alert" className="text-sm text-destructive">
          {errorMessage(problem)}
        </p>
      ) : null}
      <div className="flex justify-end gap-2">
        <Button type="button" variant="outline" onClick={onClose}>
          Cancel
        </Button>
        <Button type="submit" disabled={isSubmitting}>
          {isSubmitting ? "Saving…" : editing ? "Save changes" : "Add destination"}
        </Button>
      </div>
    </form>
  );
}
