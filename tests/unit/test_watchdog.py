"""The worker's watchdog exits the process only when the loop stops turning."""
from __future__ import annotations

import threading
import time

from worker.heartbeats import WATCHDOG_EXIT_CODE, Watchdog


def test_exits_with_its_code_once_the_loop_stops_turning():
    exited = threading.Event()
    codes = []
    dog = Watchdog(0.4, exit=lambda code: (codes.append(code), exited.set()))
    dog.turned()
    assert exited.wait(3)
    assert codes == [WATCHDOG_EXIT_CODE]


def test_stays_quiet_while_the_loop_turns_and_after_stop():
    codes = []
    dog = Watchdog(0.4, exit=codes.append)
    for _ in range(8):
        dog.turned()
        time.sleep(0.1)
    dog.stop()
    time.sleep(0.8)
    assert codes == []
