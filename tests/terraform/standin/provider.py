"""The gRPC side of the stand-in: one provider's schema from the JSON file, served generically.

terraform core does the checking (arguments, blocks, types, counts, references, validations,
preconditions) against the schema this serves; the provider side only plans and reads.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any

import grpc
from tf.gen import tfplugin_pb2 as pb
from tf.gen import tfplugin_pb2_grpc as rpc
from tf.types import Unknown
from tf.utils import read_dynamic_value, to_dynamic_value

from tests.terraform.standin import archive
from tests.terraform.standin.unknowns import planned_state

_NESTING = {
    "single": pb.Schema.NestedBlock.SINGLE,
    "list": pb.Schema.NestedBlock.LIST,
    "set": pb.Schema.NestedBlock.SET,
    "map": pb.Schema.NestedBlock.MAP,
    "group": pb.Schema.NestedBlock.GROUP,
}

# Data sources the stand-in reads for real; any other needs the provider's API.
_READERS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {"archive_file": archive.build}


def _block_pb(block: Mapping[str, Any]) -> pb.Schema.Block:
    return pb.Schema.Block(
        attributes=[
            pb.Schema.Attribute(
                name=name, type=json.dumps(attr["type"]).encode(), required=attr.get("required", False),
                optional=attr.get("optional", False), computed=attr.get("computed", False),
                sensitive=attr.get("sensitive", False), deprecated=attr.get("deprecated", False),
            )
            for name, attr in sorted(block.get("attributes", {}).items())
        ],
        block_types=[
            pb.Schema.NestedBlock(type_name=name, block=_block_pb(nested["block"]),
                                  nesting=_NESTING[nested["nesting_mode"]],
                                  min_items=nested.get("min_items", 0), max_items=nested.get("max_items", 0))
            for name, nested in sorted(block.get("block_types", {}).items())
        ],
        deprecated=block.get("deprecated", False),
    )


def _schema_pb(schema: Mapping[str, Any]) -> pb.Schema:
    return pb.Schema(version=schema.get("version", 0), block=_block_pb(schema["block"]))


def _error(summary: str, detail: str = "") -> list[pb.Diagnostic]:
    return [pb.Diagnostic(severity=pb.Diagnostic.ERROR, summary=summary, detail=detail)]


def _logged(method: Callable[..., Any]) -> Callable[..., Any]:
    """gRPC hides a servicer's exceptions: print them where terraform's log shows plugin stderr."""
    def wrapper(self: SchemaServicer, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return method(self, request, context)
        except Exception:
            traceback.print_exc()
            raise
    wrapper.__name__ = method.__name__
    return wrapper


class SchemaServicer(rpc.ProviderServicer):
    """Serves one provider of a `terraform providers schema -json` document."""

    def __init__(self, address: str, document: Mapping[str, Any]) -> None:
        self._address = address
        self._schemas = document["provider_schemas"][address]
        self._resources = self._schemas.get("resource_schemas", {})
        self._data_sources = self._schemas.get("data_source_schemas", {})

    @_logged
    def GetMetadata(self, request: Any, context: Any) -> Any:
        return pb.GetMetadata.Response(
            server_capabilities=pb.ServerCapabilities(plan_destroy=True),
            resources=[pb.GetMetadata.ResourceMetadata(type_name=n) for n in sorted(self._resources)],
            data_sources=[pb.GetMetadata.DataSourceMetadata(type_name=n) for n in sorted(self._data_sources)],
        )

    @_logged
    def GetProviderSchema(self, request: Any, context: Any) -> Any:
        return self._schema_response

    @cached_property
    def _schema_response(self) -> Any:
        """Built once: a long-lived stand-in is asked for it by every terraform command."""
        return pb.GetProviderSchema.Response(
            provider=_schema_pb(self._schemas["provider"]),
            resource_schemas={name: _schema_pb(schema) for name, schema in self._resources.items()},
            data_source_schemas={name: _schema_pb(schema) for name, schema in self._data_sources.items()},
            server_capabilities=pb.ServerCapabilities(plan_destroy=True),
        )

    @_logged
    def ValidateProviderConfig(self, request: Any, context: Any) -> Any:
        return pb.ValidateProviderConfig.Response()

    @_logged
    def ValidateResourceConfig(self, request: Any, context: Any) -> Any:
        return pb.ValidateResourceConfig.Response()

    @_logged
    def ValidateDataResourceConfig(self, request: Any, context: Any) -> Any:
        return pb.ValidateDataResourceConfig.Response()

    @_logged
    def ConfigureProvider(self, request: Any, context: Any) -> Any:
        return pb.ConfigureProvider.Response()

    @_logged
    def UpgradeResourceState(self, request: Any, context: Any) -> Any:
        return pb.UpgradeResourceState.Response(upgraded_state=pb.DynamicValue(json=request.raw_state.json))

    @_logged
    def ReadResource(self, request: Any, context: Any) -> Any:
        return pb.ReadResource.Response(new_state=request.current_state, private=request.private)

    @_logged
    def PlanResourceChange(self, request: Any, context: Any) -> Any:
        schema = self._resources[request.type_name]["block"]
        planned = planned_state(schema, read_dynamic_value(request.proposed_new_state), Unknown)
        return pb.PlanResourceChange.Response(planned_state=to_dynamic_value(planned))

    @_logged
    def ApplyResourceChange(self, request: Any, context: Any) -> Any:
        return pb.ApplyResourceChange.Response(diagnostics=_error(
            f"{request.type_name}: the provider stand-in does not apply",
            f"The stand-in for {self._address} serves its schema for validate and plan only. "
            "Apply with the real provider (terraform init without the stand-in's CLI config).",
        ))

    @_logged
    def ImportResourceState(self, request: Any, context: Any) -> Any:
        return pb.ImportResourceState.Response(diagnostics=_error(
            f"{request.type_name}: the provider stand-in cannot import", "Import needs the real provider."))

    @_logged
    def ReadDataSource(self, request: Any, context: Any) -> Any:
        reader = _READERS.get(request.type_name)
        if reader is None:
            return pb.ReadDataSource.Response(diagnostics=_error(
                f"data.{request.type_name}: the provider stand-in cannot read it",
                "Reading it needs the provider's API; the stand-in reads archive_file only.",
            ))
        try:
            state = reader(read_dynamic_value(request.config))
        except archive.ArchiveError as exc:
            return pb.ReadDataSource.Response(diagnostics=_error("Archive creation error", str(exc)))
        return pb.ReadDataSource.Response(state=to_dynamic_value(state))

    @_logged
    def GetFunctions(self, request: Any, context: Any) -> Any:
        return pb.GetFunctions.Response()

    @_logged
    def StopProvider(self, request: Any, context: Any) -> Any:
        return pb.StopProvider.Response()
