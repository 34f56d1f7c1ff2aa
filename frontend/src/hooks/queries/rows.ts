/** An execution's rows, a page at a time, and its downloads (fetched with the bearer token, saved as a file). */
import { keepPreviousData, useQuery } from "@tanstack/react-query";

import { api } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";

export type ResultRow = components["schemas"]["ResultRow"];
export type ChangeStatus = components["schemas"]["ChangeStatus"];
export type DownloadFormat = components["schemas"]["DownloadFormat"];

export const rowKeys = {
  all: ["rows"] as const,
  page: (executionId: string, cursor: string | undefined, pageSize: number) =>
    ["rows", executionId, cursor ?? "", pageSize] as const,
};

export function useExecutionRows(executionId: string, cursor: string | undefined, pageSize = 100) {
  return useQuery({
    queryKey: rowKeys.page(executionId, cursor, pageSize),
    queryFn: async () => {
      const { data, error } = await api.GET("/api/v1/executions/{execution_id}/result", {
        params: { path: { execution_id: executionId }, query: { cursor, limit: pageSize } },
      });
      if (error) throw error;
      return data;
    },
    placeholderData: keepPreviousData,
  });
}

/** Fetch the rows in `format` and hand them to the browser as a file download. */
export async function downloadRows(executionId: string, format: DownloadFormat): Promise<void> {
  const { data, error } = await api.GET("/api/v1/executions/{execution_id}/download", {
    params: { path: { execution_id: executionId }, query: { format } },
    parseAs: "blob",
  });
  if (error) throw error;
  const url = URL.createObjectURL(data as Blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = `execution-${executionId}.${format}`;
  document.body.append(link);
  link.click();
  link.remove();
  // Revoke on the next tick: some browsers start the download asynchronously after click().
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
