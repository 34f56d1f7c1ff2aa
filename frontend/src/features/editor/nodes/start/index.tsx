/** The Start node: shows the pages the bot begins on. */
import type { NodeBodyProps, NodeDefinition } from "../registry";

function StartBody({ values }: NodeBodyProps) {
  const urls = Array.isArray(values.urls) ? values.urls.map(String) : [];
  if (!urls.length) {
    return (
      <p className="text-muted-foreground">
        {values.accept_input_urls ? "URLs given at run time" : "No URL yet"}
      </p>
    );
  }
  return (
    <p className="truncate font-mono" title={urls.join("\n")}>
      {urls[0]}
      {urls.length > 1 ? ` +${urls.length - 1}` : ""}
    </p>
  );
}

export const startNode: NodeDefinition = {
  Body: StartBody,
  check: (values) =>
    (!Array.isArray(values.urls) || values.urls.length === 0) && !values.accept_input_urls
      ? "Add at least one URL, or let the bot take URLs when it runs."
      : null,
};
