"use client";

/** The organization's API keys: create (secret shown once), list with last use, revoke. */
import { KeyRound } from "lucide-react";
import { useState, type ReactNode } from "react";

import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useApiKeys, useRevokeApiKey } from "@/hooks/queries/api-keys";
import { hasRole, type Organization } from "@/hooks/queries/orgs";

import { CreateApiKeyDialog } from "./create-api-key-dialog";
import { formatDate, formatDateTime } from "./format";
import { RoleNote, SettingsHeader } from "./section";
import { SecretDialog } from "./secret-dialog";

export function ApiKeysSettings({ org }: { org: Organization }) {
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const canManage = hasRole(org.role, "admin");
  const create = (
    <Button onClick={() => setCreating(true)}>
      <KeyRound aria-hidden />
      Create API key
    </Button>
  );
  return (
    <div className="grid gap-6">
      <SettingsHeader
        title="API keys"
        description={
          <>
            Keys let scripts and other services use the REST API as this organization. Send one as{" "}
            <code className="font-mono text-xs">Authorization: Bearer &lt;key&gt;</code>.
          </>
        }
        action={canManage ? create : null}
      />
      {canManage ? (
        <KeysTable orgId={org.id} action={create} />
      ) : (
        <RoleNote>Only admins and owners can see and manage API keys.</RoleNote>
      )}
      <CreateApiKeyDialog
        orgId={org.id}
        open={creating}
        onOpenChange={setCreating}
        onCreated={(key) => setSecret(key.key)}
      />
      <SecretDialog
        title="Your new API key"
        label="API key"
        secret={secret}
        onClose={() => setSecret(null)}
      />
    </div>
  );
}

function KeysTable({ orgId, action }: { orgId: string; action: ReactNode }) {
  const keys = useApiKeys(orgId);
  const revoke = useRevokeApiKey(orgId);
  if (keys.isPending) return <Loading label="Loading API keys…" />;
  if (keys.isError) return <ErrorState error={keys.error} onRetry={() => void keys.refetch()} />;
  if (keys.data.length === 0) {
    return (
      <EmptyState title="No API keys yet" action={action}>
        Create a key to start executions, read rows or manage bots from your own code.
      </EmptyState>
    );
  }
  return (
    <Table>
      <TableHeader>
        <TableRow>
          <TableHead>Name</TableHead>
          <TableHead>Key</TableHead>
          <TableHead>Scopes</TableHead>
          <TableHead>Created</TableHead>
          <TableHead>Last used</TableHead>
          <TableHead className="text-right">Actions</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {keys.data.map((key) => (
          <TableRow key={key.id}>
            <TableCell className="font-medium">{key.name}</TableCell>
            <TableCell>
              <code className="font-mono text-xs">{key.prefix}…</code>
            </TableCell>
            <TableCell className="space-x-1">
              {key.scopes.map((scope) => (
                <Badge key={scope} tone={scope === "write" ? "warning" : "neutral"}>
                  {scope}
                </Badge>
              ))}
            </TableCell>
            <TableCell>{formatDate(key.created_at)}</TableCell>
            <TableCell>{key.last_used_at ? formatDateTime(key.last_used_at) : "Never"}</TableCell>
            <TableCell className="text-right">
              <ConfirmDialog
                trigger={
                  <Button variant="ghost" size="sm" aria-label={`Revoke ${key.name}`}>
                    Revoke
                  </Button>
                }
                title={`Revoke ${key.name}?`}
                description="Requests with this key fail from now on. Anything using it needs a new key."
                confirmLabel="Revoke key"
                onConfirm={() => revoke.mutateAsync(key.id)}
              />
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
