import { fireEvent, render, screen } from "@testing-library/react";
import { useState } from "react";
import { describe, expect, it, vi } from "vitest";

import type { JsonSchema } from "./schema";
import { checkValue, widgetKind } from "./schema";
import { SchemaForm } from "./schema-form";

vi.mock("../picker", () => ({
  pickElement: vi.fn(async () => ({ css: ".price", xpath: "", count: 12, sample: "$9.99" })),
}));

const SCHEMA: JsonSchema = {
  $defs: {
    Field: {
      type: "object",
      required: ["name", "selector"],
      properties: {
        name: { type: "string", title: "Name", minLength: 1 },
        selector: { type: "string", title: "Selector", minLength: 1 },
        attribute: { anyOf: [{ type: "string" }, { type: "null" }], title: "Attribute" },
        type: { enum: ["text", "price"], title: "Type", type: "string" },
      },
    },
  },
  type: "object",
  required: ["url", "fields"],
  properties: {
    url: { type: "string", title: "Url", examples: ["https://example.com/products"] },
    next_selector: { anyOf: [{ type: "string" }, { type: "null" }], title: "Next Selector" },
    max_pages: { type: "integer", minimum: 1, maximum: 10, title: "Max Pages" },
    same_site: { type: "boolean", default: true, title: "Same Site" },
    until: { anyOf: [{ enum: ["load", "networkidle"], type: "string" }, { type: "null" }], title: "Until" },
    urls: { type: "array", items: { type: "string", examples: ["https://example.com/"] }, title: "Urls" },
    fields: { type: "array", items: { $ref: "#/$defs/Field" }, title: "Fields", minItems: 1 },
  },
};

function Harness({
  initial,
  onValues,
}: {
  initial: Record<string, unknown>;
  onValues: (v: unknown) => void;
}) {
  const [values, setValues] = useState(initial);
  return (
    <SchemaForm
      schema={SCHEMA}
      values={values}
      pageUrl="https://example.com/"
      onChange={(next) => {
        setValues(next);
        onValues(next);
      }}
    />
  );
}

describe("widget kinds", () => {
  it("picks a widget for each kind of property", () => {
    const defs = SCHEMA.$defs!;
    const kind = (name: string) => widgetKind(name, SCHEMA.properties![name], defs);
    expect(kind("url")).toBe("url");
    expect(kind("next_selector")).toBe("selector");
    expect(kind("max_pages")).toBe("number");
    expect(kind("same_site")).toBe("boolean");
    expect(kind("until")).toBe("enum");
    expect(kind("urls")).toBe("url-list");
    expect(kind("fields")).toBe("field-table");
    expect(widgetKind("cron", { type: "string" }, {})).toBe("cron");
  });

  it("explains values the server would refuse", () => {
    const props = SCHEMA.properties!;
    expect(checkValue("url", props.url, {}, "example.com", true)).toMatch(/https:\/\//);
    expect(checkValue("url", props.url, {}, undefined, true)).toBe("This is required.");
    expect(checkValue("max_pages", props.max_pages, {}, 11, false)).toBe("At most 10.");
    expect(checkValue("max_pages", props.max_pages, {}, 1.5, false)).toBe("Enter a whole number.");
    expect(checkValue("cron", { type: "string" }, {}, "every day", false)).toMatch(/Five fields/);
    expect(checkValue("cron", { type: "string" }, {}, "0 9 * * 1", false)).toBeNull();
  });
});

describe("SchemaForm", () => {
  it("labels every control and edits values of each kind", async () => {
    const onValues = vi.fn();
    render(
      <Harness
        initial={{ url: "https://example.com/", fields: [{ name: "title", selector: "h1" }] }}
        onValues={onValues}
      />,
    );
    fireEvent.change(screen.getByLabelText("Max pages"), { target: { value: "20" } });
    expect(screen.getByText("At most 10.")).toBeInTheDocument();
    fireEvent.click(screen.getByRole("switch", { name: "Same site" }));
    expect(onValues).toHaveBeenLastCalledWith(expect.objectContaining({ same_site: false }));
    fireEvent.change(screen.getByLabelText("Until"), { target: { value: "networkidle" } });
    fireEvent.change(screen.getByLabelText("URLs"), {
      target: { value: "https://a.example/\n\nhttps://b.example/" },
    });
    expect(onValues).toHaveBeenLastCalledWith(
      expect.objectContaining({ until: "networkidle", urls: ["https://a.example/", "https://b.example/"] }),
    );
    fireEvent.change(screen.getByLabelText("URL"), { target: { value: "ftp://x" } });
    expect(screen.getByText(/full web address/)).toBeInTheDocument();
  });

  it("puts a picked selector and its sample into the field", async () => {
    const onValues = vi.fn();
    render(<Harness initial={{ fields: [{ name: "title", selector: "h1" }] }} onValues={onValues} />);
    fireEvent.click(screen.getByRole("button", { name: /Pick element for Next selector/ }));
    expect(await screen.findByText(/12 matches; first: “\$9.99”/)).toBeInTheDocument();
    expect(screen.getByLabelText("Next selector")).toHaveValue(".price");
  });

  it("edits the extract fields as a table and flags an empty selector", () => {
    const onValues = vi.fn();
    render(<Harness initial={{ fields: [{ name: "title", selector: "h1" }] }} onValues={onValues} />);
    fireEvent.click(screen.getByRole("button", { name: "Add field" }));
    expect(screen.getByLabelText("Field 2 name")).toHaveValue("field_2");
    expect(screen.getByText(/Field 2: This is required/)).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText("Field 2 selector"), { target: { value: ".price" } });
    fireEvent.change(screen.getByLabelText("Field 2 type"), { target: { value: "price" } });
    expect(onValues).toHaveBeenLastCalledWith({
      fields: [
        { name: "title", selector: "h1" },
        { name: "field_2", selector: ".price", selector_type: "css", type: "price" },
      ],
    });
    fireEvent.click(screen.getByRole("button", { name: "Remove field 1" }));
    expect(screen.getByLabelText("Field 1 name")).toHaveValue("field_2");
  });
});
