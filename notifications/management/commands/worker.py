import signal
import threading

from django.db import close_old_connections
from django.utils import timezone

from lib.commands import ExplainedCommand
from notifications import delivery
from notifications.delivery import logger

HELP = """Send queued notification emails and write the daily digests.

Runs until stopped (SIGTERM or Ctrl-C finish the current batch first), or
with --once processes what is due and exits. Each pass:

1. from TRIBUNE_DIGEST_HOUR (local time, default 7) on, once a day: enqueues
   each reader's digest of unread entries they want daily, and each
   moderator's digest of open reports filed since their last one;
2. claims due messages for --lease seconds and sends them; a failure is
   recorded (attempts, last_error) and retried later with a growing delay.

What "none sent twice" can and cannot mean. A message is marked sent only
after the mail server accepted it ("250 OK" to DATA), and a claimed message
whose worker died is due again when its lease ends: no message is lost.
SMTP cannot be asked whether it already accepted a message, so if the worker
dies or loses the database between the server's "250 OK" and marking the row
sent (a window of milliseconds), the message goes out again after the lease.
The copy carries the same Message-ID (derived from the dedupe key), so
services that collapse duplicates by Message-ID (Gmail, for one) show it once
and anyone else can tell it is the same message. Guaranteed: the same thing
is never *enqueued* twice (unique dedupe keys: one email per reader and
comment, one digest per reader and local date), and while a lease runs no
other worker takes the message. Keep --lease well above the time one send
can take; the SMTP timeout is set to a third of it (at most 60 s) unless
EMAIL_TIMEOUT is set. A failed send is retried with a doubling delay (1 min
up to 6 h); after 8 attempts the message stays unsent with its last_error.
"""


class Command(ExplainedCommand):
    help = HELP

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Process what is due, then exit."
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=30.0,
            help="Seconds between passes (default 30).",
        )
        parser.add_argument(
            "--lease",
            type=int,
            default=delivery.LEASE_SECONDS,
            help="Seconds a claimed message is held before it is due again.",
        )
        parser.add_argument(
            "--batch",
            type=int,
            default=delivery.BATCH_SIZE,
            help="Messages claimed at a time.",
        )
        parser.add_argument(
            "--digests-now",
            action="store_true",
            help="Write today's digests on the first pass whatever the hour.",
        )

    def handle(self, *args, once, interval, lease, batch, digests_now, **options):
        stop = threading.Event()
        if not once and threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.set())
        self.digested_on = None
        force = digests_now
        while not stop.is_set():
            try:
                self.run_pass(lease=lease, batch=batch, force_digests=force)
            except Exception:
                if once:
                    raise
                # The database or the mail server is away: claimed messages
                # come back when their lease ends; try again next pass.
                logger.exception("worker pass failed")
                close_old_connections()
            else:
                force = False
            if once:
                break
            stop.wait(interval)

    def run_pass(self, *, lease: int, batch: int, force_digests: bool) -> None:
        now = timezone.now()
        today = timezone.localdate(now)
        due = timezone.localtime(now).hour >= delivery.digest_hour()
        if force_digests or (due and self.digested_on != today):
            readers = delivery.enqueue_reader_digests(now)
            mods = delivery.enqueue_moderator_digests(now)
            self.digested_on = today
            if readers or mods:
                self.stdout.write(
                    f"digests enqueued: {readers} readers, {mods} moderators"
                )
        sent, failed = delivery.send_due(lease=lease, batch=batch)
        if sent or failed:
            self.stdout.write(f"emails sent: {sent}, failed: {failed}")
