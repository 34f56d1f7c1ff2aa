"use client";

/** Sign in with email and password (or an OAuth provider), then go to `?next=`. */
import { zodResolver } from "@hookform/resolvers/zod";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useForm } from "react-hook-form";
import { z } from "zod";

import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { useLogin } from "@/hooks/queries/auth";
import { errorMessage } from "@/lib/api/client";

import { AuthCard, FormError } from "./auth-card";
import { oauthErrorMessage, safeNext, withNext } from "./next-path";
import { OAuthButtons } from "./oauth-buttons";

const schema = z.object({
  email: z.email("Enter a valid email address."),
  password: z.string().min(1, "Enter your password."),
});
type Values = z.infer<typeof schema>;

export function LoginForm() {
  const params = useSearchParams();
  const router = useRouter();
  const next = safeNext(params.get("next"));
  const login = useLogin();
  const form = useForm<Values>({ resolver: zodResolver(schema), defaultValues: { email: "", password: "" } });
  const { errors, isSubmitting } = form.formState;

  const onSubmit = form.handleSubmit(async (values) => {
    try {
      await login.mutateAsync(values);
      router.replace(next);
    } catch {
      // The mutation's error is shown below the fields.
    }
  });

  const problem = login.error ? errorMessage(login.error) : oauthErrorMessage(params.get("error"));
  return (
    <AuthCard
      title="Sign in to ScrapeFlow"
      description="Welcome back. Your bots are where you left them."
      footer={
        <>
          New here?{" "}
          <Link className="font-medium text-primary hover:underline" href={withNext("/register", next)}>
            Create an account
          </Link>
        </>
      }
    >
      <OAuthButtons next={next} />
      <form className="grid gap-4" onSubmit={onSubmit} noValidate>
        <FormError message={problem} />
        <Field label="Email" error={errors.email?.message}>
          <Input type="email" autoComplete="email" autoFocus {...form.register("email")} />
        </Field>
        <Field label="Password" error={errors.password?.message}>
          <Input type="password" autoComplete="current-password" {...form.register("password")} />
        </Field>
        <Button type="submit" disabled={isSubmitting}>
          {isSubmitting ? "Signing in…" : "Sign in"}
        </Button>
      </form>
    </AuthCard>
  );
}
