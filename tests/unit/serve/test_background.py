"""The hand-off queue behind the prediction log and the drift feed."""

from __future__ import annotations

import threading

from mlops.serve.background import Background


def test_items_are_handled_in_order_a_failure_is_reported_and_the_thread_goes_on():
    handled, errors = [], []

    def handle(item: int) -> None:
        if item == 2:
            raise ValueError("bad item")
        handled.append(item)

    work = Background("test", 10, handle, errors.append, on_full=lambda _: None)
    for item in range(5):
        work.submit(item)
    work.flush()
    assert handled == [0, 1, 3, 4]
    assert [str(e) for e in errors] == ["bad item"]
    work.close()
    work.close()  # a second close is harmless


def test_a_full_queue_drops_the_item_and_says_so_without_blocking_the_caller():
    release = threading.Event()
    dropped: list[str] = []
    work = Background("test", 1, lambda _: release.wait(5), print, on_full=dropped.append)
    work.submit("first")  # taken by the thread, which then waits
    while work._queue.unfinished_tasks and not work._queue.empty():
        pass  # until the thread holds "first" and the queue is empty
    work.submit("second")  # fills the queue (size 1)
    work.submit("third")  # no room: dropped at once
    assert dropped == ["third"]
    release.set()
    work.close()


def test_scoring_threads_submitting_at_once_start_one_drain():
    seen: list[int] = []  # the thread that handled each item
    work = Background("test", 1000, lambda _: seen.append(threading.get_ident()),
                      print, on_full=print)  # fmt: skip
    threads = [threading.Thread(target=lambda: [work.submit(i) for i in range(50)])
               for _ in range(4)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    work.close()
    assert len(seen) == 200
    assert len(set(seen)) == 1
    assert sum(t.name == "test" for t in threading.enumerate()) == 0
