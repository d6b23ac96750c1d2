"""A tool that searches the agent's memory through a function the caller passes in.

Tools do not import the graph or the store: the graph hands over `memory_search(query) -> str`
(already bound to the current user), which keeps this package free of graph state.
"""

from __future__ import annotations

from collections.abc import Callable

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field


class SearchMemoryInput(BaseModel):
    """Arguments of search_memory."""

    query: str = Field(
        min_length=1, max_length=1000, description="What to look for in past activity and feedback."
    )


def search_memory_tool(memory_search: Callable[[str], str]) -> BaseTool:
    """A tool over `memory_search`, which returns the hits for a query as text."""
    if not callable(memory_search):
        raise ValueError("memory_search must be a callable taking a query and returning text")

    def search_memory(query: str) -> str:
        found = memory_search(query)
        return found if isinstance(found, str) and found.strip() else "Nothing found in memory."

    return StructuredTool.from_function(
        func=search_memory,
        name="search_memory",
        description=(
            "Search what the user did earlier and how they answered past suggestions "
            "(accepted, rejected and why)."
        ),
        args_schema=SearchMemoryInput,
    )
