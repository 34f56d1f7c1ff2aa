/** A stand-in for next/navigation in component tests: a router whose calls can be asserted, and settable
 * search params and pathname. Use with `vi.mock("next/navigation", () => navigation)`. */
import { vi } from "vitest";

export const router = { push: vi.fn(), replace: vi.fn(), refresh: vi.fn(), back: vi.fn(), prefetch: vi.fn() };
export const location = { pathname: "/", search: "" };

export const navigation = {
  useRouter: () => router,
  usePathname: () => location.pathname,
  useSearchParams: () => new URLSearchParams(location.search),
  redirect: vi.fn(),
};
