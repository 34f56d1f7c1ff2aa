"use client";

/** Rename the current organization, or delete it (owners only, after typing its name). */
import { zodResolver } from "@hookform/resolvers/zod";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { useForm } from "react-hook-form";
import { z } from "zod";

import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { hasRole, useDeleteOrg, useUpdateOrg, type Organization } from "@/hooks/queries/orgs";
import { errorMessage } from "@/lib/api/client";
import { useSession } from "@/lib/api/session";

import { formatDate } from "./format";
import { RoleNote, SettingsHeader } from "./section";

const schema = z.object({
  name: z.string().trim().min(1, "Give the organization a name.").max(200, "Keep it under 200 characters."),
});
type Values = z.infer<typeof schema>;

export function OrganizationSettings({ org }: { org: Organization }) {
  const canRename = hasRole(org.role, "admin");
  const update = useUpdateOrg(org.id);
  const form = useForm<Values>({ resolver: zodResolver(schema), defaultValues: { name: org.name } });
  const [saved, setSaved] = useState(false);
  useEffect(() => form.reset({ name: org.name }), [form, org.name]);

  const onSubmit = form.handleSubmit(async ({ name }) => {
    setSaved(false);
    try {
      await update.mutateAsync(name);
      setSaved(true);
    } catch {
      // Shown below the field.
    }
  });

  return (
    <div className="grid gap-6">
      <SettingsHeader
        title="Organization"
        description="Bots, schedules, destinations, API keys and the plan belong to the organization."
      />
      <Card>
        <CardHeader>
          <CardTitle>Details</CardTitle>
          <CardDescription>
            Created {formatDate(org.created_at)} · your role: <Badge className="capitalize">{org.role}</Badge>
            {org.is_personal ? " · personal organization" : null}
          </CardDescription>
        </CardHeader>
        <CardContent>
          <form className="grid max-w-md gap-4" onSubmit={onSubmit} noValidate>
            <Field
              label="Organization name"
              error={form.formState.errors.name?.message}
              hint={canRename ? undefined : "Only admins and owners can rename the organization."}
            >
              <Input disabled={!canRename} {...form.register("name")} />
            </Field>
            {update.error ? (
              <p role="alert" className="text-sm text-destructive">
                {errorMessage(update.error)}
              </p>
            ) : null}
            {saved && !form.formState.isDirty ? (
              <p role="status" className="text-sm text-green-700">
                Saved.
              </p>
            ) : null}
            {canRename ? (
              <div>
                <Button type="submit" disabled={update.isPending || !form.formState.isDirty}>
                  {update.isPending ? "Saving…" : "Save"}
                </Button>
              </div>
            ) : null}
          </form>
        </CardContent>
      </Card>
      <DangerZone org={org} />
    </div>
  );
}

function DangerZone({ org }: { org: Organization }) {
  const remove = useDeleteOrg();
  const router = useRouter();
  const [typed, setTyped] = useState("");
  return (
    <Card className="border-red-200">
      <CardHeader>
        <CardTitle>Delete organization</CardTitle>
        <CardDescription>
          Deletes its bots, executions, rows, schedules, destinations and API keys for every member. This
          cannot be undone.
        </CardDescription>
      </CardHeader>
      <CardContent>
        {hasRole(org.role, "owner") ? (
          <ConfirmDialog
            trigger={<Button variant="destructive">Delete organization</Button>}
            title={`Delete ${org.name}?`}
            description="Everything in this organization is deleted for every member. Type its name to confirm."
            confirmLabel="Delete organization"
            confirmDisabled={typed.trim() !== org.name}
            onConfirm={async () => {
              await remove.mutateAsync(org.id);
              // The shell picks the person's default organization once the list no longer holds this one.
              useSession.getState().setOrgId(null);
              router.replace("/bots");
            }}
          >
            <Field label="Organization name">
              <Input value={typed} onChange={(event) => setTyped(event.target.value)} autoComplete="off" />
            </Field>
          </ConfirmDialog>
        ) : (
          <RoleNote>Only the organization&apos;s owners can delete it.</RoleNote>
        )}
      </CardContent>
    </Card>
  );
}
