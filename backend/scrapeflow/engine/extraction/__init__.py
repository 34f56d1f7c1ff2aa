"""Reading values out of pages: selectors, value types and transforms, structured data, markdown."""
