"use client";

/** Where rows go: list destinations, add one, test, switch on/off, edit, delete, and see recent deliveries. */
import { Plus } from "lucide-react";
import { useState } from "react";

import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { Switch } from "@/components/ui/switch";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import {
  useDeleteDestination,
  useDestinations,
  useTestDestination,
  useUpdateDestination,
  type Destination,
  type TestResult,
} from "@/hooks/queries/destinations";
import { hasRole, type Organization } from "@/hooks/queries/orgs";
import { errorMessage } from "@/lib/api/client";

import { RoleNote, SettingsHeader } from "../section";
import { SecretDialog } from "../secret-dialog";
import { DeliveriesDialog } from "./deliveries-dialog";
import { DestinationFormDialog } from "./destination-form";
import { describeTarget, TYPE_LABELS } from "./destination-values";

type Open =
  { kind: "form"; destination: Destination | null } | { kind: "deliveries"; destination: Destination };

export function DestinationsSettings({ org }: { org: Organization }) {
  const destinations = useDestinations(org.id);
  const canManage = hasRole(org.role, "admin");
  const [open, setOpen] = useState<Open | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const add = (
    <Button onClick={() => setOpen({ kind: "form", destination: null })}>
      <Plus aria-hidden />
      Add destination
    </Button>
  );
  return (
    <div className="grid gap-6">
      <SettingsHeader
        title="Destinations"
        description="Send rows to a webhook, Slack, email or Google Sheets when an execution finishes. Bots choose which destinations they use."
        action={canManage ? add : null}
      />
      {canManage ? null : <RoleNote>Only admins and owners can add or change destinations.</RoleNote>}
      {destinations.isPending ? (
        <Loading label="Loading destinations…" />
      ) : destinations.isError ? (
        <ErrorState error={destinations.error} onRetry={() => void destinations.refetch()} />
      ) : destinations.data.length === 0 ? (
        <EmptyState title="No destinations yet" action={canManage ? add : undefined}>
          Add one to get rows in Google Sheets, a Slack channel, an inbox or your own service.
        </EmptyState>
      ) : (
        <DestinationsTable
          destinations={destinations.data}
          canManage={canManage}
          onEdit={(destination) => setOpen({ kind: "form", destination })}
          onDeliveries={(destination) => setOpen({ kind: "deliveries", destination })}
        />
      )}
      {open?.kind === "form" ? (
        <DestinationFormDialog
          destination={open.destination}
          onClose={() => setOpen(null)}
          onSecret={setSecret}
        />
      ) : null}
      {open?.kind === "deliveries" ? (
        <DeliveriesDialog destination={open.destination} onClose={() => setOpen(null)} />
      ) : null}
      <SecretDialog
        title="Your webhook signing secret"
        label="Signing secret (verify the webhook-signature header with it)"
        secret={secret}
        onClose={() => setSecret(null)}
      />
    </div>
  );
}

interface TableProps {
  destinations: Destination[];
  canManage: boolean;
  onEdit: (destination: Destination) => void;
  onDeliveries: (destination: Destination) => void;
}

function DestinationsTable({ destinations, canManage, onEdit, onDeliveries }: TableProps) {
  const update = useUpdateDestination();
  const remove = useDeleteDestination();
  const test = useTestDestination();
  const [tested, setTested] = useState<{ name: string; result: TestResult } | null>(null);

  const runTest = async (destination: Destination) => {
    setTested(null);
    try {
      setTested({ name: destination.name, result: await test.mutateAsync(destination.id) });
    } catch {
      // Shown above the table.
    }
  };

  const problem = update.error ?? test.error;
  return (
    <div className="grid gap-3">
      {problem ? (
        <p role="alert" className="text-sm text-destructive">
          {errorMessage(problem)}
        </p>
      ) : null}
      {tested ? <TestOutcome name={tested.name} result={tested.result} /> : null}
      <Table>
        <TableHeader>
          <TableRow>
            <TableHead>Name</TableHead>
            <TableHead>Type</TableHead>
            <TableHead>Sends to</TableHead>
            <TableHead>Active</TableHead>
            <TableHead className="text-right">Actions</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {destinations.map((destination) => (
            <TableRow key={destination.id}>
              <TableCell className="font-medium">{destination.name}</TableCell>
              <TableCell>
                <Badge>{TYPE_LABELS[destination.type]}</Badge>
              </TableCell>
              <TableCell className="max-w-72">
                <span className="block truncate text-muted-foreground">{describeTarget(destination)}</span>
                {destination.disabled_reason ? (
                  <span className="block text-xs text-destructive">
                    Paused: {destination.disabled_reason}
                  </span>
                ) : null}
              </TableCell>
              <TableCell>
                <Switch
                  aria-label={`${destination.name} active`}
                  checked={destination.is_active}
                  disabled={!canManage || update.isPending}
                  onCheckedChange={(checked) =>
                    update.mutate({ id: destination.id, body: { is_active: checked } })
                  }
                />
              </TableCell>
              <TableCell className="text-right whitespace-nowrap">
                <Button variant="ghost" size="sm" onClick={() => onDeliveries(destination)}>
                  Deliveries
                </Button>
                {canManage ? (
                  <>
                    <Button
                      variant="ghost"
                      size="sm"
                      disabled={test.isPending}
                      onClick={() => void runTest(destination)}
                    >
                      {test.isPending && test.variables === destination.id ? "Testing…" : "Test"}
                    </Button>
                    <Button variant="ghost" size="sm" onClick={() => onEdit(destination)}>
                      Edit
                    </Button>
                    <ConfirmDialog
                      trigger={
                        <Button variant="ghost" size="sm" aria-label={`Delete ${destination.name}`}>
                          Delete
                        </Button>
                      }
                      title={`Delete ${destination.name}?`}
                      description="Bots that send here stop doing so. Past deliveries are deleted with it."
                      confirmLabel="Delete destination"
                      onConfirm={() => remove.mutateAsync(destination.id)}
                    />
                  </>
                ) : null}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </div>
  );
}

function TestOutcome({ name, result }: { name: string; result: TestResult }) {
  const details = [
    result.status_code ? `HTTP ${result.status_code}` : null,
    result.duration_ms !== null ? `${result.duration_ms} ms` : null,
  ]
    .filter(Boolean)
    .join(" · ");
  return (
    <div
      role="status"
      className={
        result.ok
          ? "rounded-md border border-green-200 bg-green-50 p-3 text-sm text-green-900"
          : "rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-900"
      }
    >
      <p className="font-medium">
        {result.ok ? `Test sent to ${name}.` : `The test to ${name} failed.`} {details}
      </p>
      {result.error ? <p>{result.error}</p> : null}
      {result.response_excerpt ? (
        <pre className="mt-1 max-h-24 overflow-auto font-mono text-xs whitespace-pre-wrap">
          {result.response_excerpt}
        </pre>
      ) : null}
    </div>
  );
}
