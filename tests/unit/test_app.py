"""app.py's shutdown hook: the order its steps run in, all within the budget."""

from __future__ import annotations

from function.app import shutdown_hook


class Step:
    """A part the hook shuts down, recording each call and the time it was given."""

    def __init__(self, name: str, order: list[str]) -> None:
        self.name, self.order = name, order

    def stop(self, until: float) -> None:
        self.order.append(f"{self.name} stop by {until:g}")

    def close(self, until: float) -> None:
        self.order.append(f"{self.name} close by {until:g}")


def test_the_streaming_pull_stops_first_its_batch_is_waited_for_after_the_deliveries_then_the_rows() -> None:
    """Pulling on while the deliveries close would take messages no one sends; its batch's rows must
    reach the writer before it closes."""
    order: list[str] = []
    hook = shutdown_hook(Step("delivery", order), Step("rows", order), 10.0,  # type: ignore[arg-type]
                         Step("stream", order))  # type: ignore[arg-type]
    hook(100.0)
    assert order == ["stream stop by 108", "delivery close by 108", "stream close by 108",
                     "rows close by 110"]
