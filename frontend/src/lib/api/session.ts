/** The signed-in session in the browser: the short-lived access token (memory only) and the chosen organization. */
import { create } from "zustand";
import { persist } from "zustand/middleware";

interface SessionState {
  accessToken: string | null;
  orgId: string | null;
  setAccessToken: (token: string | null) => void;
  setOrgId: (orgId: string | null) => void;
}

export const useSession = create<SessionState>()(
  persist(
    (set) => ({
      accessToken: null,
      orgId: null,
      setAccessToken: (accessToken) => set({ accessToken }),
      setOrgId: (orgId) => set({ orgId }),
    }),
    // The access token never touches storage; the refresh cookie (HttpOnly, first-party) restores it.
    { name: "scrapeflow.session", partialize: (state) => ({ orgId: state.orgId }) },
  ),
);
