"""The OpenAPI document and the docs page themselves."""

from __future__ import annotations

import re
from collections import defaultdict

from ninja import Schema

from project.api import api as convene_api


def _our_schemas(base=Schema):
    for found in base.__subclasses__():
        if found.__module__.split(".")[0] in {"accounts", "booking", "scheduling", "project"}:
            yield found
        yield from _our_schemas(found)


def test_schema_names_are_unique():
    """django-ninja names a component by its class alone: two classes of one name would share
    one entry in the document, and one endpoint would be described with the other's shape."""
    modules = defaultdict(set)
    for found in _our_schemas():
        modules[found.__name__].add(found.__module__)
    assert {name: where for name, where in modules.items() if len(where) > 1} == {}


def test_every_operation_has_a_summary_and_problem_answers():
    document = convene_api.get_openapi_schema(path_prefix="/api/v1/")
    assert document["openapi"].startswith("3.")
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), (method, path)
            assert {"401", "404", "422", "429"} <= set(operation["responses"]), (method, path)


def test_the_docs_page_loads_nothing_from_elsewhere(client):
    page = client.get("/api/v1/docs").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources
    assert all(source.startswith("/static/") for source in sources), sources
