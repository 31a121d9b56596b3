"""Which Pinterest ad accounts one deployment may send to, and the request option that picks one."""

from __future__ import annotations

from collections.abc import Iterable

from function.errors import Forbidden
from function.pipeline import coerce
from function.settings import is_ad_account_id


def parse_option(value: object) -> str:
    """pinterest.ad_account_id: digits only, so it can never change the URL it is placed in."""
    text = coerce.to_text(value) or ""
    if not is_ad_account_id(text):
        raise ValueError("must be digits only, 18 at most (Pinterest advertiser ids look like 549XXXXXXXXX)")
    return text


class AccountAllowlist:
    """The deployment's own ad account plus PINTEREST_AD_ACCOUNT_IDS; any other is refused with 403."""

    def __init__(self, default: str, others: Iterable[str] = ()) -> None:
        self._allowed = frozenset({default, *others})

    def allows(self, ad_account_id: str) -> bool:
        return ad_account_id in self._allowed

    def check(self, ad_account_id: str) -> None:
        """'' means the deployment's own account; an id not in the list is refused by name of the rule."""
        if ad_account_id and not self.allows(ad_account_id):
            raise Forbidden("pinterest.ad_account_id is not one of PINTEREST_AD_ACCOUNT_IDS")
