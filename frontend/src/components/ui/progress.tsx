import { cn } from "@/lib/utils";

/** A labelled bar; turns amber above 80 % and red at the limit. */
export function Progress({ label, value, max }: { label: string; value: number; max: number | null }) {
  const share = max ? Math.min(1, value / max) : 0;
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={max ?? undefined}
      aria-valuenow={value}
      className="h-2 w-full overflow-hidden rounded-full bg-muted"
    >
      <div
        className={cn(
          "h-full rounded-full",
          share >= 1 ? "bg-destructive" : share >= 0.8 ? "bg-amber-500" : "bg-primary",
        )}
        style={{ width: `${share * 100}%` }}
      />
    </div>
  );
}
