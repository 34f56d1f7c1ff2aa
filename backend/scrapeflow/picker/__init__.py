"""The in-app element picker: a page fetched through the engine, made inert, for the editor to pick from."""
