"use client";

/** Who is in the organization and with which role; admins change roles, remove members and invite people. */
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { NativeSelect } from "@/components/ui/input";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useMe } from "@/hooks/queries/auth";
import { useMembers, useRemoveMember, useUpdateMember, type Member } from "@/hooks/queries/members";
import { hasRole, ROLES, type Organization, type Role } from "@/hooks/queries/orgs";
import { errorMessage } from "@/lib/api/client";

import { formatDate } from "./format";
import { Invitations } from "./invitations";
import { SettingsHeader } from "./section";

export const ROLE_HINTS: Record<Role, string> = {
  viewer: "sees bots, executions and rows",
  editor: "also builds and runs bots",
  admin: "also manages members, API keys and destinations",
  owner: "also manages billing and can delete the organization",
};

export function MembersSettings({ org }: { org: Organization }) {
  const members = useMembers(org.id);
  const canManage = hasRole(org.role, "admin");
  return (
    <div className="grid gap-6">
      <SettingsHeader
        title="Members"
        description={`Viewers ${ROLE_HINTS.viewer}; editors ${ROLE_HINTS.editor}; admins ${ROLE_HINTS.admin}; owners ${ROLE_HINTS.owner}.`}
      />
      {members.isPending ? (
        <Loading label="Loading members…" />
      ) : members.isError ? (
        <ErrorState error={members.error} onRetry={() => void members.refetch()} />
      ) : members.data.length === 0 ? (
        <EmptyState title="No members yet" />
      ) : (
        <MembersTable org={org} members={members.data} canManage={canManage} />
      )}
      {canManage ? <Invitations org={org} /> : null}
    </div>
  );
}

function MembersTable({
  org,
  members,
  canManage,
}: {
  org: Organization;
  members: Member[];
  canManage: boolean;
}) {
  const me = useMe();
  const update = useUpdateMember(org.id);
  const remove = useRemoveMember(org.id);
  // Only owners may hand out or take away ownership, as the API enforces.
  const assignable = ROLES.filter((role) => role !== "owner" || org.role === "owner");
  return (
    <div className="grid gap-2">
      {update.error ? (
        <p role="alert" className="text-sm text-destructive">
          {errorMessage(update.error)}
        </p>
      ) : null}
      <Table>
        <TableHeader>
          <TableRow>
            <TableHead>Name</TableHead>
            <TableHead>Email</TableHead>
            <TableHead>Role</TableHead>
            <TableHead>Joined</TableHead>
            {canManage ? <TableHead className="text-right">Actions</TableHead> : null}
          </TableRow>
        </TableHeader>
        <TableBody>
          {members.map((member) => {
            const isMe = member.user_id === me.data?.id;
            const editable = canManage && !isMe && (member.role !== "owner" || org.role === "owner");
            return (
              <TableRow key={member.user_id}>
                <TableCell className="font-medium">
                  {member.name || "—"} {isMe ? <Badge>you</Badge> : null}
                </TableCell>
                <TableCell>{member.email}</TableCell>
                <TableCell>
                  {editable ? (
                    <NativeSelect
                      aria-label={`Role of ${member.email}`}
                      className="w-32 capitalize"
                      value={member.role}
                      disabled={update.isPending}
                      onChange={(event) =>
                        update.mutate({ userId: member.user_id, role: event.target.value as Role })
                      }
                    >
                      {assignable.map((role) => (
                        <option key={role} value={role}>
                          {role}
                        </option>
                      ))}
                    </NativeSelect>
                  ) : (
                    <span className="capitalize">{member.role}</span>
                  )}
                </TableCell>
                <TableCell>{formatDate(member.joined_at)}</TableCell>
                {canManage ? (
                  <TableCell className="text-right">
                    {editable ? (
                      <ConfirmDialog
                        trigger={
                          <Button variant="ghost" size="sm" aria-label={`Remove ${member.email}`}>
                            Remove
                          </Button>
                        }
                        title={`Remove ${member.name || member.email}?`}
                        description="They lose access to this organization's bots, executions and rows at once. You can invite them again later."
                        confirmLabel="Remove member"
                        onConfirm={() => remove.mutateAsync(member.user_id)}
                      />
                    ) : null}
                  </TableCell>
                ) : null}
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
    </div>
  );
}
