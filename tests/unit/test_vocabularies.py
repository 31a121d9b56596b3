"""One rule, one place: the words several wings write are each defined once and read from there.

The delivery modes (pinterest.delivery, PINTEREST_DELIVERY, the rows' `delivery` column), the
event_id sources (the rows' `event_id_source`, the report's and the view's site-given share) and
the match keys (the field table's user_data keys) were once spelt again in each module using them.
"""

from __future__ import annotations

import re
from pathlib import Path

from function.delivery import awaited, drain, replay
from function.delivery.deliverer import Outgoing
from function.logs import quality, report
from function.pipeline import options, request
from function.pipeline.fields import FIELDS
from function.pipeline.options import DeliveryMode
from function.pipeline.request import SITE_GIVEN, EventIdSource

ROOT = Path(__file__).resolve().parents[2]


def test_every_delivery_mode_word_is_the_one_of_pipeline_options() -> None:
    assert options.DELIVERY_MODES == ("awaited", "optimistic", "pubsub")
    assert awaited.MODE is DeliveryMode.AWAITED
    assert drain.MODE is DeliveryMode.PUBSUB
    assert Outgoing({}, "1", test=False).delivery is DeliveryMode.AWAITED
    assert options.Options("inherit", "", "web", False).delivery is DeliveryMode.AWAITED
    assert replay.MODE not in options.DELIVERY_MODES  # a re-send's mark, never a caller's choice


def test_no_delivery_module_spells_a_mode_word_itself() -> None:
    spelt = re.compile(r"""["'](awaited|optimistic|pubsub)["']""")
    found = {path.name: spelt.findall(path.read_text(encoding="utf-8"))
             for path in [*(ROOT / "function" / "delivery").glob("*.py"), ROOT / "function" / "app.py"]}
    assert {name: words for name, words in found.items() if words} == {}


def test_the_event_id_sources_are_one_vocabulary_the_report_and_the_view_read() -> None:
    assert request.EVENT_ID_SOURCES == ("event_id", "transaction_id", "generated")
    assert request.Built(0, {}, options.Options("inherit", "", "web", False)).event_id_source \
        is EventIdSource.GENERATED
    assert report.SITE_GIVEN is SITE_GIVEN == {"event_id", "transaction_id"}
    sql = (ROOT / "function" / "logs" / "match_quality.sql").read_text(encoding="utf-8")
    listed = re.search(r"event_id_source IN \(([^)]*)\)", sql)
    assert listed is not None
    assert set(re.findall(r"'([a-z_]+)'", listed.group(1))) == SITE_GIVEN  # SQL cannot import it


def test_the_match_keys_are_the_field_table_s_user_data_keys_but_the_partner_id() -> None:
    user_data = [row.key for row in FIELDS if row.section == "user_data"]
    assert list(quality.MATCH_KEYS) == [key for key in user_data if key != "partner_id"]
