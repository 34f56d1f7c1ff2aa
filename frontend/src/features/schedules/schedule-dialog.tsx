"use client";

/** Create or change a schedule: the bot, when it runs (cron builder) and whether it is active. Errors the
 * backend finds in the expression or time zone are shown on that field. */
import { zodResolver } from "@hookform/resolvers/zod";
import { Controller, useForm } from "react-hook-form";
import { z } from "zod";

import { Button } from "@/components/ui/button";
import { Dialog, DialogClose, DialogContent } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { NativeSelect } from "@/components/ui/input";
import { useBots } from "@/hooks/queries/bots";
import { useCreateSchedule, useUpdateSchedule, type Schedule } from "@/hooks/queries/schedules";
import { errorMessage } from "@/lib/api/client";

import { CronBuilder, errorField } from "./cron-builder";

const scheduleForm = z.object({
  botId: z.string().min(1, "Choose the bot to run."),
  cron: z.object({
    expression: z.string().trim().min(1, "Choose when the bot runs."),
    timezone: z.string().min(1, "Choose a time zone."),
  }),
  isActive: z.boolean(),
});
type ScheduleForm = z.infer<typeof scheduleForm>;

function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

export function ScheduleDialog({
  open,
  onOpenChange,
  schedule,
  botId,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  schedule?: Schedule;
  /** Fixes the bot (on a bot's page). */
  botId?: string;
}) {
  const bots = useBots("");
  const create = useCreateSchedule();
  const update = useUpdateSchedule();
  const form = useForm<ScheduleForm>({
    resolver: zodResolver(scheduleForm),
    defaultValues: {
      botId: schedule?.bot_id ?? botId ?? "",
      cron: {
        expression: schedule?.cron_expression ?? "0 9 * * *",
        timezone: schedule?.timezone ?? browserZone(),
      },
      isActive: schedule?.is_active ?? true,
    },
  });
  const { errors, isSubmitting } = form.formState;

  async function submit(values: ScheduleForm) {
    const body = {
      bot_id: values.botId,
      cron_expression: values.cron.expression,
      timezone: values.cron.timezone,
      is_active: values.isActive,
    };
    try {
      if (schedule) await update.mutateAsync({ id: schedule.id, body });
      else await create.mutateAsync(body);
      onOpenChange(false);
      form.reset();
    } catch (error) {
      const code = (error as { error?: { code?: string } }).error?.code ?? "";
      if (code === "unknown_timezone" || code.startsWith("cron") || code === "invalid_cron") {
        const field = errorField(error) === "timezone" ? "cron.timezone" : "cron.expression";
        form.setError(field, { message: errorMessage(error) });
      } else {
        form.setError("root", { message: errorMessage(error) });
      }
    }
  }

  const botOptions = (bots.data?.pages ?? []).flatMap((page) => page.items);
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent
        title={schedule ? "Edit schedule" : "New schedule"}
        description="The bot runs on its own at these times."
        className="max-h-[90vh] max-w-xl overflow-y-auto"
      >
        <form className="grid gap-4" noValidate onSubmit={form.handleSubmit(submit)}>
          {botId ? null : (
            <Field label="Bot" error={errors.botId?.message}>
              <NativeSelect {...form.register("botId")}>
                <option value="">Choose a bot…</option>
                {botOptions.map((bot) => (
                  <option key={bot.id} value={bot.id}>
                    {bot.name}
                  </option>
                ))}
              </NativeSelect>
            </Field>
          )}
          <Controller
            control={form.control}
            name="cron"
            render={({ field }) => (
              <CronBuilder
                value={field.value}
                onChange={(value) => {
                  form.clearErrors("cron");
                  field.onChange(value);
                }}
                expressionError={errors.cron?.expression?.message}
                timezoneError={errors.cron?.timezone?.message}
              />
            )}
          />
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" className="size-4" {...form.register("isActive")} />
            Active (runs on this schedule)
          </label>
          {errors.root ? (
            <p role="alert" className="text-sm text-destructive">
              {errors.root.message}
            </p>
          ) : null}
          <div className="flex justify-end gap-2">
            <DialogClose asChild>
              <Button type="button" variant="outline">
                Cancel
              </Button>
            </DialogClose>
            <Button type="submit" disabled={isSubmitting}>
              {isSubmitting ? "Saving…" : schedule ? "Save schedule" : "Create schedule"}
            </Button>
          </div>
        </form>
      </DialogContent>
    </Dialog>
  );
}
