"""Entity tags and If-Match (api.md, Concurrency), as scheduling's and records' updates use them."""

from __future__ import annotations

from uuid import uuid4

import pytest

from clinic_common.errors import PreconditionFailed
from clinic_common.etag import check_if_match, etag


def test_ETag_and_If_Match() -> None:
    tag = etag(uuid4(), 3)
    check_if_match(None, tag)
    check_if_match(tag, tag)
    check_if_match(f"W/{tag}", tag)
    check_if_match("*", tag)
    with pytest.raises(PreconditionFailed):
        check_if_match('"other.1"', tag)


def test_a_version_alone_taken_quoted_weak_unquoted_or_in_a_list() -> None:
    tag = etag(2)
    assert tag == '"2"'
    for sent in ('"2"', 'W/"2"', "2", '"1", "2"'):
        check_if_match(sent, tag)
    with pytest.raises(PreconditionFailed) as stale:
        check_if_match('"1"', tag, what="The patient")
    assert stale.value.extra["etag"] == '"2"'
