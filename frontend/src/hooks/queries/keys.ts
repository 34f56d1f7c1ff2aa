/** Query keys for every resource, in one place, so mutations invalidate exactly what they change. */
export const queryKeys = {
  bots: {
    all: ["bots"] as const,
    list: (search: string) => ["bots", "list", search] as const,
    detail: (botId: string) => ["bots", "detail", botId] as const,
    versions: (botId: string) => ["bots", "versions", botId] as const,
  },
} as const;
