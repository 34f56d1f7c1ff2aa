/** The in-app picker's page: fetched by the API as the bot would, made inert, to show in a sandboxed frame. */
import { useMutation } from "@tanstack/react-query";

import { api } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";

export type PickerPage = components["schemas"]["PickerPage"];
export type PickerPageRequest = components["schemas"]["PickerPageRequest"];

export function usePickerPage() {
  return useMutation({
    mutationFn: async (body: PickerPageRequest) => {
      const { data, error } = await api.POST("/api/v1/picker/pages", { body });
      if (error) throw error;
      return data;
    },
  });
}
