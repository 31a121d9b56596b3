"""The Pinterest event name: inherited from the GA4 name, a standard name, or a custom one."""

from __future__ import annotations

import pytest

from function.errors import BadRequest
from function.pipeline import event_names

# Pinterest's 22 standard conversion event names.
PINTEREST_STANDARD = {
    "add_payment_info",
    "add_to_cart",
    "add_to_wishlist",
    "app_install",
    "app_open",
    "checkout",
    "contact",
    "custom",
    "customize_product",
    "find_location",
    "initiate_checkout",
    "lead",
    "page_visit",
    "schedule",
    "search",
    "signup",
    "start_trial",
    "submit_application",
    "subscribe",
    "view_category",
    "view_content",
    "watch_video",
}


def test_the_standard_names_are_pinterests_22() -> None:
    assert event_names.STANDARD_EVENT_NAMES == PINTEREST_STANDARD
    assert len(event_names.STANDARD_EVENT_NAMES) == 22


@pytest.mark.parametrize(
    ("ga4_name", "expected"),
    [
        pytest.param("page_view", "page_visit", id="page_view is a page visit"),
        pytest.param("gtm.dom", "page_visit", id="gtm.dom is a page visit"),
        pytest.param("add_to_cart", "add_to_cart", id="add_to_cart keeps its name"),
        pytest.param("purchase", "checkout", id="purchase is a checkout"),
        pytest.param("begin_checkout", "initiate_checkout", id="begin_checkout initiates a checkout"),
        pytest.param("add_payment_info", "add_payment_info", id="add_payment_info keeps its name"),
        pytest.param("add_to_wishlist", "add_to_wishlist", id="add_to_wishlist keeps its name"),
        pytest.param("view_item", "view_content", id="view_item is view_content"),
        pytest.param("view_item_list", "view_category", id="view_item_list is view_category"),
        pytest.param("search", "search", id="search keeps its name"),
        pytest.param("view_search_results", "search", id="view_search_results is a search"),
        pytest.param("find_location", "find_location", id="find_location keeps its first-class name"),
        pytest.param("generate_lead", "lead", id="generate_lead is a lead"),
        pytest.param("contact", "contact", id="contact keeps its first-class name"),
        pytest.param("submit_application", "submit_application",
                     id="submit_application keeps its first-class name"),
        pytest.param("schedule", "schedule", id="schedule keeps its first-class name"),
        pytest.param("start_trial", "start_trial", id="start_trial keeps its first-class name"),
        pytest.param("customize_product", "customize_product",
                     id="customize_product keeps its first-class name"),
        pytest.param("app_open", "app_open", id="app_open keeps its first-class name"),
        pytest.param("sign_up", "signup", id="sign_up is a signup"),
        pytest.param("subscribe", "subscribe", id="subscribe keeps its name"),
        pytest.param("gtm4wp.addProductToCartEEC", "add_to_cart", id="gtm4wp add to cart is add_to_cart"),
        pytest.param("gtm4wp.orderCompletedEEC", "checkout", id="gtm4wp order completed is a checkout"),
        pytest.param(
            "gtm4wp.checkoutStepEEC", "initiate_checkout", id="gtm4wp checkout step initiates a checkout"
        ),
        pytest.param("PURCHASE", "checkout", id="the GA4 name is matched case-insensitively"),
        pytest.param("  page_view\t", "page_visit", id="the GA4 name is trimmed"),
        pytest.param("Page_View", "page_visit", id="mixed case is folded"),
        pytest.param("login", "custom", id="an unknown GA4 name becomes custom"),
        pytest.param("page view", "custom", id="a near miss is not mapped"),
    ],
)
def test_inherit_built_in_map(ga4_name: str, expected: str) -> None:
    assert event_names.inherit(ga4_name, {}) == expected


@pytest.mark.parametrize(
    ("ga4_name", "event_map", "expected"),
    [
        pytest.param(
            "purchase", {"purchase": "lead"}, "lead", id="the request map overrides the built-in map"
        ),
        pytest.param("purchase", {"Purchase ": "lead"}, "lead", id="request map keys are folded too"),
        pytest.param(" PURCHASE", {"purchase": "lead"}, "lead", id="the event name is folded before the map"),
        pytest.param("login", {"login": "signup"}, "signup", id="the request map adds new GA4 names"),
        pytest.param(
            "page_view",
            {"login": "signup"},
            "page_visit",
            id="names missing from the request map use the built-in map",
        ),
        pytest.param("login", {"sign_up": "lead"}, "custom", id="names missing from both maps become custom"),
        pytest.param("contact", {"contact": "lead"}, "lead",
                     id="the request map still folds contact into lead"),
        pytest.param("find_location", {"find_location": "search"}, "search",
                     id="the request map still folds find_location into search"),
    ],
)
def test_inherit_with_request_map(ga4_name: str, event_map: dict[str, str], expected: str) -> None:
    assert event_names.inherit(ga4_name, event_map) == expected


@pytest.mark.parametrize("name", sorted(PINTEREST_STANDARD))
def test_check_standard_accepts_every_standard_name(name: str) -> None:
    assert event_names.check_standard(name, "event_name") == name


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("purchase", id="a GA4 name is not a Pinterest standard name"),
        pytest.param("Checkout", id="standard names are case-sensitive"),
        pytest.param("", id="an empty name is not standard"),
        pytest.param("checkout ", id="a padded name is not standard"),
    ],
)
def test_check_standard_refuses_other_names_naming_the_path(name: str) -> None:
    with pytest.raises(BadRequest, match=r"^pinterest\.event_name must be one of") as caught:
        event_names.check_standard(name, "pinterest.event_name")
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("my_event", id="letters and underscores are a custom name"),
        pytest.param("My-Event-2", id="capitals, dashes and digits are a custom name"),
        pytest.param("a", id="one character is enough"),
        pytest.param("x" * 100, id="100 characters are allowed"),
    ],
)
def test_check_custom_accepts(name: str) -> None:
    assert event_names.check_custom(name, "event_name") == name


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("", id="an empty custom name is refused"),
        pytest.param("x" * 101, id="101 characters are refused"),
        pytest.param("my event", id="a space is refused"),
        pytest.param("gtm.dom", id="a dot is refused"),
        pytest.param("événement", id="non-ASCII letters are refused"),
        pytest.param("zzz\n", id="a trailing newline is refused"),
        pytest.param("<script>", id="markup is refused"),
    ],
)
def test_check_custom_refuses_naming_the_path_not_the_value(name: str) -> None:
    with pytest.raises(BadRequest, match=r"^pinterest\.event_name must be 1-100 letters") as caught:
        event_names.check_custom(name, "pinterest.event_name")
    if name.strip():
        assert name.strip() not in str(caught.value)


@pytest.mark.parametrize(
    ("setup", "configured", "ga4_name", "event_map", "expected"),
    [
        pytest.param(
            "standard",
            "checkout",
            "page_view",
            {},
            "checkout",
            id="standard setup sends the configured name whatever the GA4 name",
        ),
        pytest.param("standard", "lead", None, {}, "lead", id="standard setup needs no GA4 name"),
        pytest.param(
            "custom",
            "my_event",
            "purchase",
            {},
            "my_event",
            id="custom setup sends the configured name whatever the GA4 name",
        ),
        pytest.param("custom", "my_event", None, {}, "my_event", id="custom setup needs no GA4 name"),
        pytest.param("inherit", "", "purchase", {}, "checkout", id="inherit setup maps the GA4 name"),
        pytest.param(
            "inherit", "lead", "purchase", {}, "checkout", id="inherit setup ignores the configured name"
        ),
        pytest.param("inherit", "", "login", {}, "custom", id="inherit setup sends unknown names as custom"),
        pytest.param(
            "inherit",
            "",
            "purchase",
            {"purchase": "order_done"},
            "order_done",
            id="inherit setup accepts a custom name from the request map",
        ),
        pytest.param(
            "inherit",
            "",
            "purchase",
            {"purchase": "lead"},
            "lead",
            id="inherit setup accepts a standard name from the request map",
        ),
    ],
)
def test_resolve(
    setup: str, configured: str, ga4_name: str | None, event_map: dict[str, str], expected: str
) -> None:
    assert event_names.resolve(setup, configured, ga4_name, event_map) == expected


@pytest.mark.parametrize(
    ("setup", "configured", "ga4_name", "event_map", "message"),
    [
        pytest.param(
            "inherit",
            "",
            None,
            {},
            r"^event_name is required",
            id="inherit setup without a GA4 name is a bad request",
        ),
        pytest.param(
            "inherit",
            "checkout",
            "",
            {},
            r"^event_name is required",
            id="inherit setup with an empty GA4 name is a bad request",
        ),
        pytest.param(
            "standard",
            "purchase",
            "purchase",
            {},
            r"^event_name must be one of",
            id="standard setup with a non-standard configured name is a bad request",
        ),
        pytest.param(
            "standard",
            "",
            "purchase",
            {},
            r"^event_name must be one of",
            id="standard setup without a configured name is a bad request",
        ),
        pytest.param(
            "custom",
            "bad name!",
            "purchase",
            {},
            r"^event_name must be 1-100",
            id="custom setup with an invalid configured name is a bad request",
        ),
        pytest.param(
            "custom",
            "",
            "purchase",
            {},
            r"^event_name must be 1-100",
            id="custom setup without a configured name is a bad request",
        ),
        pytest.param(
            "inherit",
            "",
            "purchase",
            {"purchase": "bad name!"},
            r"^pinterest\.event_map must be",
            id="an invalid name from the request map names pinterest.event_map",
        ),
    ],
)
def test_resolve_refuses(
    setup: str, configured: str, ga4_name: str | None, event_map: dict[str, str], message: str
) -> None:
    with pytest.raises(BadRequest, match=message) as caught:
        event_names.resolve(setup, configured, ga4_name, event_map)
    assert caught.value.status == 400
    assert "bad name!" not in str(caught.value)


def test_inherit_does_not_change_the_request_map() -> None:
    event_map = {"Purchase": "lead"}
    event_names.inherit("purchase", event_map)
    assert event_map == {"Purchase": "lead"}
