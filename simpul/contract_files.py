"""The contract files in schema/, exported from the code that serves them."""

from __future__ import annotations

from pathlib import Path


def contract_sdl() -> dict[str, str]:
    """File name -> SDL, printed from the live strawberry schemas."""
    from connectors.contract import node_schema
    from hub.api.schema import hub_schema

    return {
        "node.graphql": node_schema().as_str() + "\n",
        "hub.graphql": hub_schema().as_str() + "\n",
    }


def write_files(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, sdl in contract_sdl().items():
        path = folder / name
        path.write_text(sdl, encoding="utf-8")
        written.append(path)
    return written


def check_files(folder: Path) -> list[str]:
    """Names of the files that are missing or differ from the code."""
    return [name for name, sdl in contract_sdl().items()
            if not (folder / name).exists() or (folder / name).read_text("utf-8") != sdl]
