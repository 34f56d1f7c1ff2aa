"use client";

/** Invite someone by email with a role, see who has not accepted yet, and revoke an invitation. */
import { zodResolver } from "@hookform/resolvers/zod";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { z } from "zod";

import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { CopyButton } from "@/components/ui/copy-button";
import { Field } from "@/components/ui/field";
import { Input, NativeSelect } from "@/components/ui/input";
import { ErrorState, Loading } from "@/components/ui/states";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import {
  useInvitations,
  useInvite,
  useRevokeInvitation,
  type InvitationCreated,
} from "@/hooks/queries/members";
import { ROLES, type Organization } from "@/hooks/queries/orgs";
import { errorMessage } from "@/lib/api/client";

import { formatDate } from "./format";

const schema = z.object({
  email: z.email("Enter a valid email address."),
  role: z.enum(["viewer", "editor", "admin", "owner"]),
});
type Values = z.infer<typeof schema>;

export function Invitations({ org }: { org: Organization }) {
  const invitations = useInvitations(org.id);
  const invite = useInvite(org.id);
  const revoke = useRevokeInvitation(org.id);
  const [sent, setSent] = useState<InvitationCreated | null>(null);
  const form = useForm<Values>({
    resolver: zodResolver(schema),
    defaultValues: { email: "", role: "editor" },
  });
  const roles = ROLES.filter((role) => role !== "owner" || org.role === "owner");

  const onSubmit = form.handleSubmit(async (values) => {
    try {
      setSent(await invite.mutateAsync(values));
      form.reset({ email: "", role: values.role });
    } catch {
      // Shown below the form.
    }
  });

  return (
    <Card>
      <CardHeader>
        <CardTitle>Invitations</CardTitle>
        <CardDescription>
          The invitee signs in (or creates an account) with the invited email address and accepts the link.
        </CardDescription>
      </CardHeader>
      <CardContent className="grid gap-5">
        <form className="flex flex-wrap items-start gap-3" onSubmit={onSubmit} noValidate>
          <Field
            label="Email address"
            className="min-w-64 flex-1"
            error={form.formState.errors.email?.message}
          >
            <Input type="email" autoComplete="off" {...form.register("email")} />
          </Field>
          <Field label="Role" className="w-36">
            <NativeSelect className="capitalize" {...form.register("role")}>
              {roles.map((role) => (
                <option key={role} value={role}>
                  {role}
                </option>
              ))}
            </NativeSelect>
          </Field>
          <Button type="submit" className="mt-6" disabled={invite.isPending}>
            {invite.isPending ? "Inviting…" : "Invite"}
          </Button>
        </form>
        {invite.error ? (
          <p role="alert" className="text-sm text-destructive">
            {errorMessage(invite.error)}
          </p>
        ) : null}
        {sent ? (
          <div role="status" className="grid gap-2 rounded-md border border-border bg-muted/50 p-3 text-sm">
            <p>
              Invited <strong>{sent.email}</strong>. Send them this link; it is shown only now and works until{" "}
              {formatDate(sent.expires_at)}.
            </p>
            <div className="flex items-center gap-2">
              <code className="min-w-0 flex-1 truncate rounded bg-background px-2 py-1 font-mono text-xs">
                {sent.accept_url}
              </code>
              <CopyButton value={sent.accept_url} label="Copy link" />
            </div>
          </div>
        ) : null}
        {invitations.isPending ? (
          <Loading label="Loading invitations…" rows={2} />
        ) : invitations.isError ? (
          <ErrorState error={invitations.error} onRetry={() => void invitations.refetch()} />
        ) : invitations.data.length === 0 ? (
          <p className="text-sm text-muted-foreground">No pending invitations.</p>
        ) : (
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead>Email</TableHead>
                <TableHead>Role</TableHead>
                <TableHead>Expires</TableHead>
                <TableHead className="text-right">Actions</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {invitations.data.map((invitation) => (
                <TableRow key={invitation.id}>
                  <TableCell>{invitation.email}</TableCell>
                  <TableCell className="capitalize">{invitation.role}</TableCell>
                  <TableCell>{formatDate(invitation.expires_at)}</TableCell>
                  <TableCell className="text-right">
                    <ConfirmDialog
                      trigger={
                        <Button
                          variant="ghost"
                          size="sm"
                          aria-label={`Revoke invitation for ${invitation.email}`}
                        >
                          Revoke
                        </Button>
                      }
                      title={`Revoke the invitation for ${invitation.email}?`}
                      description="The link stops working at once."
                      confirmLabel="Revoke invitation"
                      onConfirm={() => revoke.mutateAsync(invitation.id)}
                    />
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </CardContent>
    </Card>
  );
}
