"use client";

/** The in-app picker: point and click on the page shown inert in a frame, or type a selector and check it on the
 * page with a test run. */
import { zodResolver } from "@hookform/resolvers/zod";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { z } from "zod";

import { Button } from "@/components/ui/button";
import { Dialog, DialogContent } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { useTestRun } from "@/hooks/queries/workflow";
import { errorMessage } from "@/lib/api/client";

import { probeWorkflow, readProbe } from "./check-selector";
import type { PickResult } from "./index";
import { PagePicker } from "./page-picker";
import { usePickerStore } from "./picker-store";

const schema = z.object({
  url: z
    .string()
    .trim()
    .regex(/^https?:\/\/\S+$/i, "Enter a full web address starting with https://."),
  selector: z.string().trim().min(1, "Enter a CSS selector, like h1 or .price."),
});
type Values = z.infer<typeof schema>;

export function PickerDialog() {
  const pending = usePickerStore((state) => state.pending);
  const finish = usePickerStore((state) => state.finish);
  return (
    <Dialog open={pending !== null} onOpenChange={(open) => (open ? undefined : finish(null))}>
      {pending ? (
        <DialogContent
          title={pending.mode === "list" ? "Pick the repeating element" : "Pick an element"}
          description={`On ${pending.url}`}
          className="max-w-5xl"
        >
          <Tabs defaultValue="point">
            <TabsList>
              <TabsTrigger value="point">Point and click</TabsTrigger>
              <TabsTrigger value="type">Type a selector</TabsTrigger>
            </TabsList>
            <TabsContent value="point">
              <PagePicker
                key={pending.url + pending.mode}
                url={pending.url}
                mode={pending.mode}
                onPick={finish}
                onCancel={() => finish(null)}
              />
            </TabsContent>
            <TabsContent value="type">
              <PickerForm key={pending.url + pending.mode} url={pending.url} onPick={finish} />
            </TabsContent>
          </Tabs>
        </DialogContent>
      ) : null}
    </Dialog>
  );
}

function PickerForm({ url, onPick }: { url: string; onPick: (result: PickResult) => void }) {
  const testRun = useTestRun();
  const [result, setResult] = useState<PickResult | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const form = useForm<Values>({ resolver: zodResolver(schema), defaultValues: { url, selector: "" } });

  const check = form.handleSubmit(async (values) => {
    setResult(null);
    setProblem(null);
    try {
      const run = await testRun.mutateAsync({
        workflow: probeWorkflow(values.url, values.selector),
        url: values.url,
      });
      const read = readProbe(values.selector, run);
      if (typeof read === "string") setProblem(read);
      else setResult(read);
    } catch (error) {
      setProblem(errorMessage(error));
    }
  });

  return (
    <form onSubmit={check} className="grid gap-4" noValidate>
      <Field label="Page to check" error={form.formState.errors.url?.message}>
        <Input type="url" {...form.register("url")} />
      </Field>
      <Field
        label="Selector"
        hint="Right-click the element in your browser, choose Inspect, then Copy selector."
        error={form.formState.errors.selector?.message}
      >
        <Input
          placeholder=".product-card h2"
          className="font-mono"
          {...form.register("selector")}
          autoFocus
        />
      </Field>
      <div role="status" aria-live="polite" className="min-h-10 text-sm">
        {testRun.isPending ? <span className="text-muted-foreground">Opening the page…</span> : null}
        {problem ? <span className="text-destructive">{problem}</span> : null}
        {result ? (
          <span>
            <strong>{result.count}</strong> {result.count === 1 ? "element matches" : "elements match"}
            {result.sample ? (
              <>
                ; first: <q className="break-all">{result.sample}</q>
              </>
            ) : null}
          </span>
        ) : null}
      </div>
      <div className="flex justify-end gap-2">
        <Button type="submit" variant="outline" disabled={testRun.isPending}>
          Check on page
        </Button>
        <Button
          type="button"
          disabled={!result || result.count === 0}
          onClick={() => result && onPick(result)}
        >
          Use this selector
        </Button>
      </div>
    </form>
  );
}
