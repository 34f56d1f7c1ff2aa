/** What a bot is: where it starts, what it is for, how it runs. */
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { formatDateTime } from "@/features/executions/format";
import type { Bot } from "@/hooks/queries/bots";

export function BotOverview({ bot }: { bot: Bot }) {
  const steps = Array.isArray(bot.workflow_json.nodes) ? bot.workflow_json.nodes.length : 0;
  const facts = [
    { label: "Start URL", value: bot.start_url ?? "Set in the workflow" },
    { label: "Steps", value: String(steps) },
    { label: "Review rows before export", value: bot.review_before_export ? "Yes" : "No" },
    { label: "Created", value: formatDateTime(bot.created_at) },
    { label: "Last saved", value: formatDateTime(bot.updated_at) },
  ];
  return (
    <Card>
      <CardHeader>
        <CardTitle>About this bot</CardTitle>
      </CardHeader>
      <CardContent className="grid gap-4">
        <p className="text-sm whitespace-pre-wrap">
          {bot.description || <span className="text-muted-foreground">No description.</span>}
        </p>
        <dl className="grid gap-3 sm:grid-cols-2">
          {facts.map((fact) => (
            <div key={fact.label}>
              <dt className="text-xs text-muted-foreground">{fact.label}</dt>
              <dd className="text-sm break-all">
                {fact.label === "Start URL" && bot.start_url ? (
                  <a
                    href={bot.start_url}
                    target="_blank"
                    rel="noreferrer noopener"
                    className="text-primary hover:underline"
                  >
                    {bot.start_url}
                  </a>
                ) : (
                  fact.value
                )}
              </dd>
            </div>
          ))}
        </dl>
      </CardContent>
    </Card>
  );
}
