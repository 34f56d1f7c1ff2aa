import { fireEvent, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it, vi } from "vitest";

import { renderWithQueries, stubFetch } from "@/features/executions/testing";

import { CronBuilder, type CronValue } from "./cron-builder";

const DESCRIPTIONS: Record<string, string> = {
  "0 9 * * *": "At 09:00",
  "30 9 * * 1-5": "At 09:30, Monday through Friday",
};

function previewRoute() {
  return async (request: Request) => {
    if (!request.url.endsWith("/api/v1/schedules/preview")) return undefined;
    const body = (await request.json()) as { cron_expression: string; timezone: string };
    if (body.timezone === "Mars/Olympus") {
      return Response.json(
        { error: { code: "unknown_timezone", message: "Not a known time zone." } },
        { status: 422 },
      );
    }
    const description = DESCRIPTIONS[body.cron_expression];
    if (!description) {
      return Response.json(
        { error: { code: "invalid_cron", message: "Not a cron expression." } },
        { status: 422 },
      );
    }
    const runs = [1, 2, 3, 4, 5].map((day) => `2026-12-0${day}T09:30:00+00:00`);
    return Response.json({ ...body, description, preview: runs });
  };
}

function Harness({ onValue }: { onValue: (value: CronValue) => void }) {
  const [value, setValue] = useState<CronValue>({ expression: "0 9 * * *", timezone: "UTC" });
  return (
    <CronBuilder
      value={value}
      onChange={(next) => {
        setValue(next);
        onValue(next);
      }}
    />
  );
}

describe("CronBuilder", () => {
  it("turns a preset into a cron expression and shows the backend's description and next runs", async () => {
    const { requests } = stubFetch(previewRoute());
    const onValue = vi.fn();
    renderWithQueries(<Harness onValue={onValue} />);
    expect(await screen.findByRole("heading", { name: /At 09:00/ })).toBeInTheDocument();

    await userEvent.selectOptions(screen.getByLabelText("Repeat"), "weekdays");
    fireEvent.change(screen.getByLabelText("Time"), { target: { value: "09:30" } });
    expect(onValue).toHaveBeenLastCalledWith({ expression: "30 9 * * 1-5", timezone: "UTC" });

    expect(
      await screen.findByRole("heading", { name: /At 09:30, Monday through Friday/ }, { timeout: 2000 }),
    ).toBeInTheDocument();
    expect(screen.getByRole("list", { name: "Next 5 runs" }).children).toHaveLength(5);
    const sent = await requests.at(-1)!.json();
    expect(sent).toEqual({ cron_expression: "30 9 * * 1-5", timezone: "UTC" });
  });

  it("shows the backend's complaint on the custom expression field", async () => {
    stubFetch(previewRoute());
    renderWithQueries(<Harness onValue={() => undefined} />);
    await userEvent.selectOptions(screen.getByLabelText("Repeat"), "custom");
    const input = screen.getByLabelText("Cron expression");
    await userEvent.clear(input);
    await userEvent.type(input, "every day");
    await waitFor(() => expect(input).toHaveAttribute("aria-invalid", "true"), { timeout: 2000 });
    expect(screen.getByRole("alert")).toHaveTextContent("Not a cron expression.");
  });
});
