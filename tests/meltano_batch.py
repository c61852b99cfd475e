"""Run several Meltano command lines in one Python process, in a Meltano project.

`python meltano_batch.py COMMANDS_JSON`: a JSON list of `{"argv": [...], "env": {...}}`.
Each runs `meltano ARGV...` through Meltano's own CLI entry point (as the `meltano`
executable does), with `env` added to the environment for that command only, after a
line `SEPARATOR` on stdout. Meltano takes about 3 s to import; this pays that once for
a dozen commands. Stops at the first command that fails.
"""

from __future__ import annotations

import json
import os
import sys
from unittest import mock

from meltano.cli import cli  # type: ignore[attr-defined]

SEPARATOR = "--- meltano_batch: next command ---"


def main() -> None:
    """Run every command in order; exit with the first failure's code."""
    for command in json.loads(sys.argv[1]):
        print(SEPARATOR, flush=True)  # noqa: T201
        try:
            with mock.patch.dict(os.environ, command.get("env", {})):
                cli.main(command["argv"], obj={"project": None}, standalone_mode=False)
        except SystemExit as exit_:
            if exit_.code:
                raise


if __name__ == "__main__":
    main()
