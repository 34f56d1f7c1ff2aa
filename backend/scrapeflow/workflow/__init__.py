"""The bot language: node types, graph validation, and compilation of a workflow into a Plan."""
