"""Reading an uploaded file in a child process of the worker, with limits.

The parent (`extract_text`) starts `python -c "from knowledge.extraction import main;
main()"` with the file on stdin and the limits in argv, under RLIMIT_CPU and RLIMIT_AS,
and kills it at the wall-clock deadline; the child (`main`) reads the file with
knowledge.parsing, which checks pages, characters and time as it goes, and answers one JSON
object on stdout: {"text": ...} or {"error": ...}. Whatever the file does, the worker
process itself only waits.
"""

from __future__ import annotations

import json
import math
import resource
import subprocess
import sys
from pathlib import Path

from .parsing import DocumentProblem, Limits

BASE_DIR = Path(__file__).resolve().parent.parent
# Beyond the limits the child checks itself: time to start and to write the answer.
GRACE_SECONDS = 5.0


def extract_text(name: str, content_type: str, data: bytes, limits: Limits, memory_mb: int) -> str:
    """The file's text, or DocumentProblem saying why not."""

    def limit_child() -> None:
        cpu = math.ceil(limits.seconds + GRACE_SECONDS)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        memory = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    argv = [
        sys.executable, "-c", "from knowledge.extraction import main; main()",
        name, content_type, str(limits.max_pages), str(limits.max_chars), str(limits.seconds),
    ]
    try:
        done = subprocess.run(
            argv, input=data, capture_output=True, cwd=BASE_DIR, preexec_fn=limit_child,
            timeout=limits.seconds + GRACE_SECONDS, env={"PYTHONPATH": str(BASE_DIR)},
        )
    except subprocess.TimeoutExpired:
        raise DocumentProblem(f"reading the file took longer than {limits.seconds:g} s") from None
    return _answer(done, memory_mb)


def _answer(done: subprocess.CompletedProcess, memory_mb: int) -> str:
    try:
        answer = json.loads(done.stdout.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        if done.returncode < 0 or b"MemoryError" in done.stderr:
            raise DocumentProblem(
                f"reading the file needed more than {memory_mb} MB or too much time; it was stopped"
            ) from None
        raise DocumentProblem("the file could not be read (its reader stopped unexpectedly)") from None
    if "error" in answer:
        raise DocumentProblem(answer["error"])
    return answer["text"]


def main() -> None:
    from .parsing import to_text

    name, content_type, max_pages, max_chars, seconds = sys.argv[1:6]
    limits = Limits(max_pages=int(max_pages), max_chars=int(max_chars), seconds=float(seconds))
    data = sys.stdin.buffer.read()
    try:
        answer = {"text": to_text(name, content_type, data, limits)}
    except DocumentProblem as exc:
        answer = {"error": str(exc)}
    except MemoryError:
        answer = {"error": "reading the file needed more memory than allowed; it was stopped"}
    sys.stdout.write(json.dumps(answer))
