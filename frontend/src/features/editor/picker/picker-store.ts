/** The in-app picker's open request: `pickElement` puts one here and the mounted dialog answers it. */
import { create } from "zustand";

import type { PickRequest, PickResult } from "./index";

interface PendingPick extends PickRequest {
  resolve: (result: PickResult | null) => void;
}

interface PickerState {
  pending: PendingPick | null;
  finish: (result: PickResult | null) => void;
}

export const usePickerStore = create<PickerState>()((set, get) => ({
  pending: null,
  finish: (result) => {
    get().pending?.resolve(result);
    set({ pending: null });
  },
}));

export function requestInAppPick(request: PickRequest): Promise<PickResult | null> {
  // A second request replaces the first, which then resolves as cancelled.
  usePickerStore.getState().finish(null);
  return new Promise((resolve) => usePickerStore.setState({ pending: { ...request, resolve } }));
}
