"use client";

/** Create an account (name, email, password), sign in with it, then go to `?next=`. */
import { zodResolver } from "@hookform/resolvers/zod";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useForm } from "react-hook-form";
import { z } from "zod";

import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { useRegister } from "@/hooks/queries/auth";
import { errorMessage } from "@/lib/api/client";

import { AuthCard, FormError } from "./auth-card";
import { safeNext, withNext } from "./next-path";
import { OAuthButtons } from "./oauth-buttons";

const schema = z.object({
  name: z.string().trim().min(1, "Enter your name.").max(200, "Keep it under 200 characters."),
  email: z.email("Enter a valid email address."),
  password: z.string().min(8, "Use at least 8 characters.").max(1024, "Keep it under 1,024 characters."),
});
type Values = z.infer<typeof schema>;

export function RegisterForm() {
  const params = useSearchParams();
  const router = useRouter();
  const next = safeNext(params.get("next"));
  const register = useRegister();
  const form = useForm<Values>({
    resolver: zodResolver(schema),
    defaultValues: { name: "", email: params.get("email") ?? "", password: "" },
  });
  const { errors, isSubmitting } = form.formState;

  const onSubmit = form.handleSubmit(async (values) => {
    try {
      await register.mutateAsync(values);
      router.replace(next);
    } catch {
      // The mutation's error is shown above the fields.
    }
  });

  return (
    <AuthCard
      title="Create your account"
      description="Build your first scraping bot in minutes. No code, no credit card."
      footer={
        <>
          Already have an account?{" "}
          <Link className="font-medium text-primary hover:underline" href={withNext("/login", next)}>
            Sign in
          </Link>
        </>
      }
    >
      <OAuthButtons next={next} />
      <form className="grid gap-4" onSubmit={onSubmit} noValidate>
        <FormError message={register.error ? errorMessage(register.error) : null} />
        <Field label="Name" error={errors.name?.message}>
          <Input autoComplete="name" autoFocus {...form.register("name")} />
        </Field>
        <Field label="Email" error={errors.email?.message}>
          <Input type="email" autoComplete="email" {...form.register("email")} />
        </Field>
        <Field label="Password" hint="At least 8 characters." error={errors.password?.message}>
          <Input type="password" autoComplete="new-password" {...form.register("password")} />
        </Field>
        <Button type="submit" disabled={isSubmitting}>
          {isSubmitting ? "Creating account…" : "Create account"}
        </Button>
      </form>
    </AuthCard>
  );
}
