"use client";

/** Point and click on the page itself: the API fetches it and makes it inert, and a sandboxed frame with an
 * opaque origin shows it with the shared picker injected (public/picker-frame.js, bundled from lib/picker). */
import { useEffect, useRef, useState } from "react";

import { Button } from "@/components/ui/button";
import { Loading, ErrorState } from "@/components/ui/states";
import { usePickerPage } from "@/hooks/queries/picker";
import { FRAME_CANCEL, FRAME_CONFIRM, parseBridgeEvent, randomToken, type PickerResult } from "@/lib/picker";

import { toPickResult, type PickMode, type PickResult } from "./index";

interface PagePickerProps {
  url: string;
  mode: PickMode;
  onPick: (result: PickResult) => void;
  onCancel: () => void;
}

export function PagePicker({ url, mode, onPick, onCancel }: PagePickerProps) {
  const page = usePickerPage();
  const [render, setRender] = useState<"auto" | "browser">("auto");
  const { mutate } = page;
  useEffect(() => mutate({ url, render }), [mutate, url, render]);

  if (page.isPending || page.isIdle) return <Loading label="Opening the page…" rows={6} />;
  if (page.isError) return <ErrorState error={page.error} onRetry={() => mutate({ url, render })} />;
  return (
    <div className="grid gap-3">
      <PageFrame
        key={`${page.data.final_url} ${page.data.render}`}
        html={page.data.html}
        url={page.data.final_url}
        title={page.data.title ?? page.data.final_url}
        mode={mode}
        onPick={onPick}
        onCancel={onCancel}
      />
      {page.data.render === "http" ? (
        <p className="text-xs text-muted-foreground">
          Something missing? Pages that draw their content with JavaScript need the browser:{" "}
          <Button
            variant="link"
            size="sm"
            className="h-auto p-0 text-xs"
            onClick={() => setRender("browser")}
          >
            open it in the browser
          </Button>
          .
        </p>
      ) : null}
    </div>
  );
}

function describe(result: PickerResult | null, mode: PickMode): string {
  if (!result) {
    return mode === "list"
      ? "Click one of the repeating items; similar ones are highlighted. Arrow keys move to the parent or child."
      : "Click the element. Arrow keys move to the parent or child; Esc cancels.";
  }
  const matches = `${result.count} ${result.count === 1 ? "match" : "matches"}`;
  const fields = result.fields.length ? ` · ${result.fields.length} field(s)` : "";
  return `${matches}${fields} · ${result.css}${result.sample.value ? ` · “${result.sample.value.slice(0, 80)}”` : ""}`;
}

/** The page and the picker script, for a frame with an opaque origin: whatever runs there cannot reach the
 * editor's origin, its storage or its session. */
function frameDocument(html: string, mode: PickMode, url: string, nonce: string, requestId: string): string {
  const attributes = { mode, nonce, "request-id": requestId, url, "parent-origin": window.location.origin };
  const data = Object.entries(attributes)
    .map(([name, value]) => `data-${name}="${value.replace(/&/g, "&amp;").replace(/"/g, "&quot;")}"`)
    .join(" ");
  return `${html}<script src="${window.location.origin}/picker-frame.js" ${data}></script>`;
}

function PageFrame({
  html,
  url,
  title,
  mode,
  onPick,
  onCancel,
}: {
  html: string;
  url: string;
  title: string;
  mode: PickMode;
  onPick: (result: PickResult) => void;
  onCancel: () => void;
}) {
  const frame = useRef<HTMLIFrameElement>(null);
  const [ids] = useState(() => ({ nonce: randomToken(), requestId: randomToken() }));
  const [document] = useState(() => frameDocument(html, mode, url, ids.nonce, ids.requestId));
  const [current, setCurrent] = useState<PickerResult | null>(null);

  // The frame's messages come from an opaque origin ("null"): only our frame's window, with our nonce and
  // request id, is listened to.
  const callbacks = useRef({ onPick, onCancel });
  useEffect(() => {
    callbacks.current = { onPick, onCancel };
  }, [onPick, onCancel]);
  useEffect(() => {
    const onMessage = (event: MessageEvent) => {
      if (!frame.current || event.source !== frame.current.contentWindow) return;
      const message = parseBridgeEvent(event, { expectedOrigin: "null", nonce: ids.nonce });
      if (!message || !("requestId" in message) || message.requestId !== ids.requestId) return;
      if (message.type === "SELECTION_PREVIEW") setCurrent(message.result);
      else if (message.type === "SELECTION_RESULT") callbacks.current.onPick(toPickResult(message.result));
      else if (message.type === "SELECTION_CANCELLED") callbacks.current.onCancel();
    };
    window.addEventListener("message", onMessage);
    return () => window.removeEventListener("message", onMessage);
  }, [ids]);

  const command = (name: string) => frame.current?.contentWindow?.postMessage(name, "*");

  return (
    <>
      <iframe
        ref={frame}
        title={`Page to pick from: ${title}`}
        srcDoc={document}
        sandbox="allow-scripts"
        className="h-[60vh] w-full rounded-md border border-border bg-white"
      />
      <div className="flex items-center gap-3">
        <p role="status" aria-live="polite" className="min-w-0 flex-1 truncate text-sm">
          {describe(current, mode)}
        </p>
        <Button variant="outline" onClick={() => command(FRAME_CANCEL)}>
          Cancel
        </Button>
        <Button disabled={!current || current.count === 0} onClick={() => command(FRAME_CONFIRM)}>
          Use this selection
        </Button>
      </div>
    </>
  );
}
