"""python -m jirasim --host 127.0.0.1 --port 8081 --webhook-url URL [--secret S | --secret-file F]
[--flavor cloud|datacenter]: run the Jira simulator in the foreground until Ctrl-C or SIGTERM."""
from __future__ import annotations

import argparse
import math
import logging
import signal
import sys
import threading
from pathlib import Path

from jirasim import events as ev
from jirasim.shapes import FLAVORS


def read_secret(secret: str | None, secret_file: str | None) -> str:
    """The webhook secret from the flag or the file (trailing newline dropped); never logged."""
    if secret and secret_file:
        raise ValueError("give --secret or --secret-file, not both")
    if secret_file:
        try:
            return Path(secret_file).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise ValueError(f"cannot read the webhook secret file {secret_file}: {exc.strerror}") from None
    return secret or ""


def parse_rate_limit(raw: str | None) -> tuple[float, int] | None:
    """`--rate-limit 20` or `20:5` as (per second, burst); ValueError naming the flag when unreadable."""
    if not raw:
        return None
    rate, _, burst = raw.partition(":")
    try:
        per_second = float(rate)
        return per_second, int(burst) if burst else max(1, math.ceil(per_second))
    except ValueError:
        raise ValueError(f"--rate-limit must be PER_SECOND or PER_SECOND:BURST, got {raw!r}") from None


def serve(host: str = "127.0.0.1", port: int = 8081, webhook_url: str | None = None, secret: str = "",
          flavor: str = "cloud", events: list[str] | None = None, webhook_attempts: int = 5,
          webhook_backoff: float = 0.2, rate_limit: tuple[float, int] | None = None) -> None:
    """Run a simulator in this thread until SIGINT/SIGTERM."""
    from jirasim.simulator import JiraSimulator

    sim = JiraSimulator(webhook_url, secret, flavor, host=host, port=port,
                        events=events if events is not None else ev.EVENTS,
                        webhook_attempts=webhook_attempts, webhook_backoff=webhook_backoff)
    if rate_limit:
        sim.rate_limit.configure(*rate_limit)

    def stop(signum, frame):  # serve_forever must be shut down from another thread
        threading.Thread(target=sim.stop, daemon=True).start()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
    sim.serve_forever(on_ready=lambda url: logging.getLogger("jirasim").warning(
        "Jira simulator (%s) on %s; webhooks -> %s%s", flavor, url, webhook_url or "nowhere",
        " (signed)" if secret else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jirasim",
        description="Run the Jira simulator in the foreground until Ctrl-C or SIGTERM.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--webhook-url", help="where to POST Jira's webhooks (e.g. the web process)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--secret", help="sign webhooks with this secret (X-Hub-Signature)")
    group.add_argument("--secret-file", help="read the webhook secret from this file")
    parser.add_argument("--flavor", choices=FLAVORS, default="cloud")
    parser.add_argument("--events", default=",".join(ev.EVENTS),
                        help=f"comma-separated webhook events to send (default: all of {', '.join(ev.EVENTS)})")
    parser.add_argument("--webhook-attempts", type=int, default=5,
                        help="tries per webhook delivery before giving up (default 5)")
    parser.add_argument("--webhook-backoff", type=float, default=0.2,
                        help="seconds before the first retry of a delivery, doubling after (default 0.2)")
    parser.add_argument("--quiet", action="store_true", help="do not log every call")
    parser.add_argument("--rate-limit", metavar="PER_SECOND[:BURST]",
                        help="answer 429 past this many /rest calls per second (burst: at once; default the rate)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(asctime)s jirasim %(levelname)s %(message)s")
    try:
        secret = read_secret(args.secret, args.secret_file)
        events = [e.strip() for e in args.events.split(",") if e.strip()]
        serve(args.host, args.port, args.webhook_url, secret, args.flavor, events,
              args.webhook_attempts, args.webhook_backoff, parse_rate_limit(args.rate_limit))
    except (ValueError, OSError) as exc:
        print(f"jirasim: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
