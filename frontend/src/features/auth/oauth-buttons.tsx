"use client";

/** "Continue with Google/GitHub" links for the OAuth providers the server has enabled; nothing when none are. */
import { buttonVariants } from "@/components/ui/button";
import { useOAuthProviders } from "@/hooks/queries/auth";

const TITLES: Record<string, string> = { google: "Google", github: "GitHub" };

export function OAuthButtons({ next }: { next: string }) {
  const { data: providers } = useOAuthProviders();
  if (!providers?.length) return null;
  return (
    <div className="grid gap-3">
      {providers.map((provider) => (
        <a
          key={provider.name}
          // A full navigation: the API redirects to the provider and later back here with the refresh cookie set.
          href={`${provider.authorize_url}?next=${encodeURIComponent(next)}`}
          className={buttonVariants({ variant: "outline" })}
        >
          Continue with {TITLES[provider.name] ?? provider.name}
        </a>
      ))}
      <div className="flex items-center gap-3 text-xs text-muted-foreground">
        <span className="h-px flex-1 bg-border" />
        or
        <span className="h-px flex-1 bg-border" />
      </div>
    </div>
  );
}
