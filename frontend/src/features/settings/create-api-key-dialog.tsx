"use client";

/** Names a new API key and picks its scopes; the created key's secret goes to the caller to show once. */
import { zodResolver } from "@hookform/resolvers/zod";
import { Controller, useForm } from "react-hook-form";
import { z } from "zod";

import { Button } from "@/components/ui/button";
import { Dialog, DialogContent } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { useCreateApiKey, type ApiKeyCreated, type ApiKeyScope } from "@/hooks/queries/api-keys";
import { errorMessage } from "@/lib/api/client";

const SCOPES: { value: ApiKeyScope; label: string; hint: string }[] = [
  { value: "read", label: "Read", hint: "List bots, executions and rows; download exports." },
  { value: "write", label: "Write", hint: "Also create and change bots, and start executions." },
];

const schema = z.object({
  name: z
    .string()
    .trim()
    .min(1, "Give the key a name, e.g. where it is used.")
    .max(200, "Keep it under 200 characters."),
  scopes: z.array(z.enum(["read", "write"])).min(1, "Choose at least one scope."),
});
type Values = z.infer<typeof schema>;

interface CreateApiKeyDialogProps {
  orgId: string;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onCreated: (key: ApiKeyCreated) => void;
}

export function CreateApiKeyDialog({ orgId, open, onOpenChange, onCreated }: CreateApiKeyDialogProps) {
  const create = useCreateApiKey(orgId);
  const form = useForm<Values>({
    resolver: zodResolver(schema),
    defaultValues: { name: "", scopes: ["read"] },
  });
  const { errors } = form.formState;

  const onSubmit = form.handleSubmit(async (values) => {
    try {
      const key = await create.mutateAsync(values);
      form.reset();
      onOpenChange(false);
      onCreated(key);
    } catch {
      // Shown in the dialog.
    }
  });

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent title="Create API key" description="Use it as a bearer token with the REST API.">
        <form className="grid gap-4" onSubmit={onSubmit} noValidate>
          <Field label="Key name" error={errors.name?.message}>
            <Input autoFocus placeholder="Nightly import" {...form.register("name")} />
          </Field>
          <Controller
            control={form.control}
            name="scopes"
            render={({ field }) => (
              <fieldset className="grid gap-2" aria-describedby={errors.scopes ? "scopes-error" : undefined}>
                <legend className="mb-1 text-sm font-medium">Scopes</legend>
                {SCOPES.map((scope) => (
                  <label key={scope.value} className="flex items-start gap-2 text-sm">
                    <input
                      type="checkbox"
                      className="mt-0.5 size-4 accent-primary"
                      checked={field.value.includes(scope.value)}
                      onChange={(event) =>
                        field.onChange(
                          event.target.checked
                            ? [...field.value, scope.value]
                            : field.value.filter((value) => value !== scope.value),
                        )
                      }
                    />
                    <span>
                      <span className="font-medium">{scope.label}</span>
                      <span className="block text-xs text-muted-foreground">{scope.hint}</span>
                    </span>
                  </label>
                ))}
                {errors.scopes ? (
                  <p id="scopes-error" role="alert" className="text-xs text-destructive">
                    {errors.scopes.message}
                  </p>
                ) : null}
              </fieldset>
            )}
          />
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
              {create.isPending ? "Creating…" : "Create key"}
            </Button>
          </div>
        </form>
      </DialogContent>
    </Dialog>
  );
}
