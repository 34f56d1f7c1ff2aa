"use client";

/** A dialog that creates an organization and switches to it. */
import { zodResolver } from "@hookform/resolvers/zod";
import { useForm } from "react-hook-form";
import { z } from "zod";

import { Button } from "@/components/ui/button";
import { Dialog, DialogContent } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { useCreateOrg } from "@/hooks/queries/orgs";
import { errorMessage } from "@/lib/api/client";

import { useSwitchOrg } from "./use-current-org";

const schema = z.object({
  name: z.string().trim().min(1, "Give the organization a name.").max(200, "Keep it under 200 characters."),
});
type Values = z.infer<typeof schema>;

export function CreateOrgDialog({
  open,
  onOpenChange,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
}) {
  const create = useCreateOrg();
  const switchOrg = useSwitchOrg();
  const form = useForm<Values>({ resolver: zodResolver(schema), defaultValues: { name: "" } });

  const onSubmit = form.handleSubmit(async ({ name }) => {
    try {
      const org = await create.mutateAsync(name);
      switchOrg(org);
      form.reset();
      onOpenChange(false);
    } catch {
      // Shown in the dialog.
    }
  });

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent
        title="Create organization"
        description="Organizations share bots, schedules, destinations and a plan with their members."
      >
        <form className="grid gap-4" onSubmit={onSubmit} noValidate>
          <Field label="Organization name" error={form.formState.errors.name?.message}>
            <Input autoFocus {...form.register("name")} />
          </Field>
          {create.error ? (
            <p role="alert" className="text-sm text-destructive">
              {errorMessage(create.error)}
            </p>
          ) : null}
          <div className="flex justify-end gap-2">
            <Button type="button" variant="outline" onClick={() => onOpenChange(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={create.isPending}>
              {create.isPending ? "Creating…" : "Create organization"}
            </Button>
          </div>
        </form>
      </DialogContent>
    </Dialog>
  );
}
