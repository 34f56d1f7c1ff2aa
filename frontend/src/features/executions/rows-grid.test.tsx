import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { ResultRow } from "@/hooks/queries/rows";

import { columnsOf, RowsGrid } from "./rows-grid";

function row(
  id: string,
  data: Record<string, unknown>,
  change: ResultRow["change_status"],
  diff = {},
): ResultRow {
  return {
    id,
    execution_id: "e1",
    row_key: id,
    data,
    change_status: change,
    diff,
    review_status: null,
    created_at: "2026-11-22T10:00:00Z",
  };
}

const rows = [
  row("r1", { title: "Lamp", price: 20 }, "unchanged"),
  row("r2", { title: "Desk", price: 150, url: "https://shop.test/desk" }, "new"),
  row("r3", { title: "Chair", price: 45 }, "changed", { price: { from: 40, to: 45 } }),
];

describe("RowsGrid", () => {
  it("makes one column per field, in first-seen order", () => {
    expect(columnsOf(rows)).toEqual(["title", "price", "url"]);
    render(<RowsGrid rows={rows} />);
    const headers = screen.getAllByRole("columnheader").map((header) => header.textContent);
    expect(headers).toEqual(["Change", "title", "price", "url"]);
  });

  it("highlights new rows and only the changed cells of changed rows", () => {
    render(<RowsGrid rows={rows} />);
    const [, unchanged, added, changed] = screen.getAllByRole("row");
    expect(added).toHaveAttribute("data-change", "new");
    expect(within(added).getByText("New")).toBeInTheDocument();
    expect(within(added).getByRole("link", { name: "https://shop.test/desk" })).toHaveAttribute(
      "target",
      "_blank",
    );

    const cells = within(changed).getAllByRole("cell");
    const price = cells[2];
    expect(price).toHaveAttribute("data-changed", "true");
    expect(price).toHaveAttribute("title", "Was: 40");
    expect(cells[1]).not.toHaveAttribute("data-changed");
    expect(within(unchanged).queryByText("Changed")).toBeNull();
    expect(unchanged.querySelector("[data-changed]")).toBeNull();
  });
});
