"""The dashboard snapshot: fresh hits, one rebuild while others get the last body, drops."""

from __future__ import annotations

import gzip
import threading

from atp.api.snapshots import MAX_STALE_FACTOR, Snapshot, SnapshotCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_fresh_then_rebuilt_after_the_ttl() -> None:
    clock, builds = Clock(), []
    cache = SnapshotCache(ttl_s=2.0, clock=clock)

    def build() -> bytes:
        builds.append(clock.now)
        return f"v{len(builds)}".encode()

    assert cache.get("k", build)[0].body == b"v1"
    clock.now += 1.5
    snapshot, age = cache.get("k", build)
    assert snapshot.body == b"v1" and age == 1.5
    clock.now += 1.0  # expired: this request rebuilds
    assert cache.get("k", build) == (Snapshot.of(b"v2"), 0.0)
    assert len(builds) == 2


def test_a_mutation_drops_the_snapshot_so_the_next_read_sees_the_change() -> None:
    cache = SnapshotCache(ttl_s=2.0, clock=Clock())
    assert cache.get("k", lambda: b"before")[0].body == b"before"
    cache.invalidate()
    assert cache.get("k", lambda: b"after")[0].body == b"after"


def test_while_one_request_rebuilds_the_others_get_the_last_body() -> None:
    clock = Clock()
    cache = SnapshotCache(ttl_s=2.0, clock=clock)
    cache.get("k", lambda: b"old")
    clock.now += 3.0  # expired, still within the stale window
    started, release = threading.Event(), threading.Event()

    def slow_build() -> bytes:
        started.set()
        release.wait(5)
        return b"new"

    result: list[bytes] = []
    builder = threading.Thread(target=lambda: result.append(cache.get("k", slow_build)[0].body))
    builder.start()
    assert started.wait(5)
    assert cache.get("k", lambda: b"second build")[0].body == b"old"  # not blocked, no 2nd build
    release.set()
    builder.join(5)
    assert result == [b"new"] and cache.get("k", lambda: b"x")[0].body == b"new"


def test_a_too_old_snapshot_is_never_served() -> None:
    clock = Clock()
    cache = SnapshotCache(ttl_s=2.0, clock=clock)
    cache.get("k", lambda: b"ancient")
    clock.now += 2.0 * MAX_STALE_FACTOR + 1
    assert cache.get("k", lambda: b"current")[0].body == b"current"


def test_a_build_raced_by_a_mutation_is_not_kept() -> None:
    cache = SnapshotCache(ttl_s=2.0, clock=Clock())

    def build_then_mutation() -> bytes:
        cache.invalidate()  # a change lands while the body is being built
        return b"maybe stale"

    assert cache.get("k", build_then_mutation)[0].body == b"maybe stale"
    assert cache.get("k", lambda: b"rebuilt")[0].body == b"rebuilt"


def test_a_snapshot_carries_its_gzip_form_and_a_content_etag() -> None:
    one, same, other = Snapshot.of(b"{}" * 100), Snapshot.of(b"{}" * 100), Snapshot.of(b"[]")
    assert gzip.decompress(one.gzipped) == one.body and len(one.gzipped) < len(one.body)
    assert one.etag == same.etag != other.etag and one.etag.startswith('"')
