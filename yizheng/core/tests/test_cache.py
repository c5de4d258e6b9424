"""The Redis cache backend that reuses its client objects (yizheng.core.cache), against the real Redis."""

from __future__ import annotations

import threading

import pytest

from yizheng.core.cache import RedisCache

PRIMARY = "redis://127.0.0.1:6379/12"
REPLICA = "redis://127.0.0.1:6379/13"  # stands for a read replica: nothing copies into it here


@pytest.fixture
def redis_dbs():
    import redis

    clients = [redis.Redis.from_url(url, socket_connect_timeout=3) for url in (PRIMARY, REPLICA)]
    try:
        clients[0].ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis is not reachable at 127.0.0.1:6379: {exc}")
    for client in clients:
        client.flushdb()
    yield clients
    for client in clients:
        client.flushdb()
        client.close()


def test_one_client_serves_every_call_and_the_cache_works(redis_dbs):
    cache = RedisCache(PRIMARY, {"KEY_PREFIX": "t"})
    first = cache._cache.get_client()
    assert cache._cache.get_client() is first
    assert cache._cache.get_client(write=True) is first  # one server: reads and writes share it

    cache.set("a", {"x": 1})
    assert cache.get("a") == {"x": 1}
    cache.set("n", 1)
    assert cache.incr("n") == 2
    assert cache.get_many(["a", "n", "missing"]) == {"a": {"x": 1}, "n": 2}
    cache.delete("a")
    assert cache.get("a") is None
    assert cache._cache.get_client() is first


def test_with_replicas_writes_go_to_the_first_server_and_reads_to_the_others(redis_dbs):
    cache = RedisCache([PRIMARY, REPLICA], {})
    writer, reader = cache._cache.get_client(write=True), cache._cache.get_client()
    assert writer is not reader
    assert writer is cache._cache.get_client(write=True)
    assert reader is cache._cache.get_client()

    cache.set("k", "v")
    assert redis_dbs[0].exists(cache.make_key("k"))
    assert not redis_dbs[1].exists(cache.make_key("k"))
    assert cache.get("k") is None  # read from the "replica", which nothing filled


def test_threads_share_the_client_safely(redis_dbs):
    cache = RedisCache(PRIMARY, {})
    errors = []

    def work(n: int) -> None:
        try:
            for i in range(50):
                cache.set(f"k{n}-{i}", i)
                assert cache.get(f"k{n}-{i}") == i
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert redis_dbs[0].dbsize() == 400
