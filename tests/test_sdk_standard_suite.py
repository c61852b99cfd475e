"""The Singer SDK's standard tap tests, against the lemlist stand-in."""

from __future__ import annotations

import typing as t

import pytest
from conftest import API_KEY
from embedded_warehouse import free_port
from lemlist_standin import LemlistStandIn
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_lemlist_tasks.tap import TapLemlistTasks

if t.TYPE_CHECKING:
    from collections.abc import Iterator

# The suite's class is built at collection, from a config naming the stand-in's
# URL: the port is chosen now, and the stand-in listens only while the module runs.
PORT = free_port()
URL = f"http://127.0.0.1:{PORT}/api"


@pytest.fixture(scope="module", autouse=True)
def standin_listening() -> Iterator[None]:
    # Made here, not at import: a worker that only collects the module would leave
    # the stand-in's socket unclosed.
    with LemlistStandIn(api_key=API_KEY, port=PORT):
        yield


TestTapLemlistTasks = get_tap_test_class(
    TapLemlistTasks,
    config={"api_key": API_KEY, "api_url": URL},
    suite_config=SuiteConfig(max_records_limit=None),
)
