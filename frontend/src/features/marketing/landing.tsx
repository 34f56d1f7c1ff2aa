/** The public landing page: what ScrapeFlow does, how a bot is built, where the rows go. */
import {
  CalendarClock,
  Code2,
  MousePointerClick,
  Server,
  Sheet,
  Workflow,
  type LucideIcon,
} from "lucide-react";
import Link from "next/link";

import { buttonVariants } from "@/components/ui/button";

const FEATURES: { icon: LucideIcon; title: string; body: string }[] = [
  {
    icon: Workflow,
    title: "A visual bot builder",
    body: "Draw a bot as a flow of steps — open pages, follow links and pagination, extract fields, clean and dedupe rows — on a canvas instead of in a script.",
  },
  {
    icon: MousePointerClick,
    title: "Point at what you want",
    body: "The element picker (Chrome extension or in-app) turns a click on a price or a title into a selector, so you never write CSS or XPath by hand.",
  },
  {
    icon: CalendarClock,
    title: "Runs now or on a schedule",
    body: "Start an execution with one click, or schedule it hourly or daily and keep only new or changed rows to monitor a site.",
  },
  {
    icon: Sheet,
    title: "Rows where you work",
    body: "Deliver results to Google Sheets, signed webhooks, Slack or email, or download CSV, JSON and Excel files.",
  },
  {
    icon: Code2,
    title: "Everything has an API",
    body: "Bots, executions and rows are a versioned REST API with API keys, so your own code can start runs and read results.",
  },
  {
    icon: Server,
    title: "Open and self-hostable",
    body: "Run the hosted service, or your own copy on a single machine with one command and no paid services required.",
  },
];

const STEPS = [
  ["Build", "Start from a template or a blank canvas and pick the elements you need."],
  [
    "Run",
    "Preview on a page, then run on every page — with a headless browser when the site needs JavaScript.",
  ],
  ["Deliver", "Rows land in your sheet, your webhook or your inbox, every time the bot runs."],
];

export function Landing() {
  return (
    <>
      <section className="bg-gradient-to-b from-indigo-50 to-background">
        <div className="mx-auto grid max-w-4xl gap-6 px-6 py-24 text-center">
          <h1 className="text-4xl font-semibold tracking-tight text-balance md:text-5xl">
            Turn websites into clean rows, without writing code
          </h1>
          <p className="mx-auto max-w-2xl text-lg text-muted-foreground text-balance">
            Build a scraping bot on a visual canvas, point at the data you want, run it on a schedule and get
            the rows in Google Sheets, a webhook or through the API.
          </p>
          <div className="flex flex-wrap justify-center gap-3">
            <Link href="/register" className={buttonVariants({ size: "lg" })}>
              Get started free
            </Link>
            <Link href="/pricing" className={buttonVariants({ size: "lg", variant: "outline" })}>
              See pricing
            </Link>
          </div>
          <p className="text-sm text-muted-foreground">Free plan, no credit card.</p>
        </div>
      </section>
      <section aria-labelledby="features" className="mx-auto max-w-6xl px-6 py-20">
        <h2 id="features" className="text-center text-2xl font-semibold">
          What you get
        </h2>
        <div className="mt-10 grid gap-6 md:grid-cols-2 lg:grid-cols-3">
          {FEATURES.map(({ icon: Icon, title, body }) => (
            <div key={title} className="grid content-start gap-2 rounded-lg border border-border p-6">
              <Icon aria-hidden className="size-6 text-primary" />
              <h3 className="font-semibold">{title}</h3>
              <p className="text-sm text-muted-foreground">{body}</p>
            </div>
          ))}
        </div>
      </section>
      <section aria-labelledby="how" className="bg-muted/50">
        <div className="mx-auto max-w-6xl px-6 py-20">
          <h2 id="how" className="text-center text-2xl font-semibold">
            How it works
          </h2>
          <ol className="mt-10 grid gap-6 md:grid-cols-3">
            {STEPS.map(([title, body], index) => (
              <li key={title} className="grid content-start gap-2 rounded-lg bg-background p-6 shadow-sm">
                <span className="flex size-8 items-center justify-center rounded-full bg-primary text-sm font-semibold text-primary-foreground">
                  {index + 1}
                </span>
                <h3 className="font-semibold">{title}</h3>
                <p className="text-sm text-muted-foreground">{body}</p>
              </li>
            ))}
          </ol>
        </div>
      </section>
      <section className="mx-auto grid max-w-3xl gap-4 px-6 py-20 text-center">
        <h2 className="text-2xl font-semibold">Your first bot takes a few minutes</h2>
        <p className="text-muted-foreground">Create an account, open a template, and press Run.</p>
        <div>
          <Link href="/register" className={buttonVariants({ size: "lg" })}>
            Create your account
          </Link>
        </div>
      </section>
    </>
  );
}
