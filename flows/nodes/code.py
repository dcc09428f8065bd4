"""The code node: Python that defines main(input), run in an isolated, limited process
(flows.nodes.sandbox; its memory is capped by the operator's BATON_CODE_MEMORY_MB)."""

from __future__ import annotations

import symtable
from typing import Any

from pydantic import Field, field_validator

from . import sandbox
from .base import Handle, NodeConfig, NodeContext, NodeError, NodeType

EXAMPLE = "def main(input):\n    return input\n"


class CodeNode(NodeType):
    type = "code"
    label = "Python code"
    category = "Logic"
    description = (
        "Runs Python that defines main(input) in an isolated, limited process (standard "
        "library only, no network, no files but its own); out: what main returns. Needs "
        "BATON_ALLOW_CODE and bubblewrap on the worker."
    )
    execution = "queued"
    inputs = (Handle("in"),)

    class Config(NodeConfig):
        code: str = Field(EXAMPLE, min_length=1, max_length=200_000, description="Python defining main(input)")
        timeout: float = Field(10.0, gt=0, le=120, description="Seconds the code may run")
        memory_mb: int = Field(
            256, ge=32, le=4096,
            description="Memory limit in MB; the server's BATON_CODE_MEMORY_MB caps it",
        )

        @field_validator("code")
        @classmethod
        def _compiles(cls, source: str) -> str:
            # Parse and resolve names, but do not compile to bytecode: CPython's compiler
            # takes quadratic time on many identical function bodies (200 KB of lambdas took
            # 6 s in the web process); the parser and symbol table stay linear. symtable
            # parses by itself, on the C-level tree: no Python AST objects are built (that
            # was two thirds of the time). Errors only the compiler sees (`return` outside
            # a function) are reported when the code runs.
            try:
                symtable.symtable(source, "<code>", "exec")
            except SyntaxError as exc:
                raise ValueError(f"syntax error on line {exc.lineno}: {exc.msg}") from None
            except (ValueError, RecursionError, MemoryError) as exc:
                raise ValueError(f"the code cannot be compiled: {type(exc).__name__}") from None
            return source

    def run(self, ctx: NodeContext, inputs: dict[str, Any], config: Config) -> Any:
        sandbox.check_allowed()
        result = sandbox.run_python(
            config.code, mode="main", value=inputs.get("in"), timeout=config.timeout,
            memory_mb=config.memory_mb,
        )
        if result.stdout:
            ctx.set_details({"stdout": result.stdout[-20000:]})
        if not result.ok:
            message = result.error
            if result.traceback:
                message += "\n" + result.traceback[-4000:]
            # Retried only when the node's settings ask for it (the default is no retries).
            raise NodeError(message)
        return result.result


NODE_TYPES: list[type[NodeType]] = [CodeNode]
