"""The contract files in schema/, exported from the code that serves them."""

from __future__ import annotations

from pathlib import Path

from graphql import Node, ObjectTypeDefinitionNode, SchemaDefinitionNode, parse

FEDERATION_DIRECTIVES = {"link", "key"}


SUBGRAPH_FILE = "hub.subgraph.graphql"


def contract_sdl(subgraph: bool = False) -> dict[str, str]:
    """File name -> SDL, printed from the live strawberry schemas: the node contract and the hub's API, the
    files schema/ keeps. With `subgraph`, also the hub's `_service.sdl` (hub.subgraph.graphql), what a
    Federation gateway composes: the same API with Federation's @link and @key, so it is written on demand
    for composition rather than kept as a second copy of hub.graphql."""
    from connectors.contract import node_schema
    from hub.api.schema import hub_schema

    served = hub_schema().as_str()
    files = {"node.graphql": node_schema().as_str() + "\n", "hub.graphql": without_federation(served) + "\n"}
    if subgraph:
        files[SUBGRAPH_FILE] = served + "\n"
    return files


def without_federation(sdl: str) -> str:
    """`sdl` less its Federation directives: they are cut out of the text, so the rest reads as printed."""
    cut: list[Node] = []
    for definition in parse(sdl).definitions:
        if isinstance(definition, SchemaDefinitionNode) and _carries_only_federation(definition):
            cut.append(definition)
        elif isinstance(definition, ObjectTypeDefinitionNode):
            cut += [d for d in definition.directives or () if d.name.value in FEDERATION_DIRECTIVES]
    for start, end in sorted((_span(node) for node in cut), reverse=True):
        sdl = sdl[:start].rstrip(" ") + sdl[end:]
    return sdl.lstrip("\n")


def _span(node: Node) -> tuple[int, int]:
    assert node.loc is not None, "parsed with locations"
    return node.loc.start, node.loc.end


def _carries_only_federation(schema: SchemaDefinitionNode) -> bool:
    """A schema definition printed only for its @link: without it, the root types' usual names say the same."""
    directives = schema.directives or ()
    return (bool(directives) and all(d.name.value in FEDERATION_DIRECTIVES for d in directives)
            and all(t.type.name.value == t.operation.value.title() for t in schema.operation_types))


def write_files(folder: Path, subgraph: bool = False) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, sdl in contract_sdl(subgraph).items():
        path = folder / name
        path.write_text(sdl, encoding="utf-8")
        written.append(path)
    return written


def check_files(folder: Path) -> list[str]:
    """Names of the files that are missing or differ from the code."""
    return [name for name, sdl in contract_sdl().items()
            if not (folder / name).exists() or (folder / name).read_text("utf-8") != sdl]
