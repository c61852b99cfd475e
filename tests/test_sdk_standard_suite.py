"""The Singer SDK's standard tap tests, against the lemlist stand-in."""

from __future__ import annotations

from conftest import API_KEY
from lemlist_standin import LemlistStandIn, sample_tasks
from singer_sdk.testing import get_tap_test_class

from tap_lemlist_tasks.tap import TapLemlistTasks

# The suite's runner syncs once per class at collection-defined config, so the
# stand-in must already be listening when the class is built.
STANDIN = LemlistStandIn(sample_tasks(250), api_key=API_KEY, page_size=100)
STANDIN.start()

TestTapLemlistTasks = get_tap_test_class(
    TapLemlistTasks, config={"api_key": API_KEY, "api_url": STANDIN.url}
)
