"""The SMS door: one gateway message in, at most one report, always one reply out.

A message id the gateway already delivered creates nothing new; its reply
is sent again only if it was not delivered the first time. Status answers
(`CEK`) go only to the number that sent the report (see README: privacy), and
only that number may reply to the unit's answer (`BALAS`), which reopens it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from connectors.background import Background
from connectors.desk.store import NewReport
from connectors.sms.categories import CategoryWords
from connectors.sms.keywords import KeywordTable
from connectors.sms.numbers import normalise
from connectors.sms.parser import (
    HelpRequest,
    NewReportMessage,
    Problem,
    ReplyMessage,
    StatusQuery,
    Unreadable,
    parse,
)
from connectors.sms.replies import Replies
from connectors.sms.senders import ReplySender, SendError
from connectors.sms.store import SmsStore
from simpul.errors import InvalidInput
from simpul.report import Reporter
from simpul.wire import Channel, ReportStatus

log = logging.getLogger("simpul.sms")

TITLE_CHARS = 60


@dataclass(frozen=True)
class Inbound:
    """One SMS as the gateway delivered it."""

    message_id: str
    sender: str
    text: str
    received_at: datetime


@dataclass(frozen=True)
class Outcome:
    reply: str
    tracking_number: str | None
    duplicate: bool
    delivery_error: str | None  # why the reply is still waiting, or None once it went out


@dataclass(frozen=True)
class DoorSettings:
    categories: CategoryWords  # the category a report's words name, else the fallback ("umum")
    confidential: bool
    max_length: int
    provinces: frozenset[str]  # those this number serves
    refuse_outside: bool  # False: a report for another province is kept and the hub routes it


def title_of(text: str) -> str:
    """A title for the list views: the start of the text, cut at a word."""
    line = " ".join(text.split())
    if len(line) <= TITLE_CHARS:
        return line
    cut = line[: TITLE_CHARS + 1].rsplit(" ", 1)[0][:TITLE_CHARS] or line[:TITLE_CHARS]
    return cut + "…"


class SmsDoor:
    def __init__(self, store: SmsStore, sender: ReplySender, keywords: KeywordTable, replies: Replies,
                 settings: DoorSettings, on_change: Callable[[], None] = lambda: None) -> None:
        self.store = store
        self.sender = sender
        self.keywords = keywords
        self.replies = replies
        self.settings = settings
        self.on_change = on_change

    async def receive(self, inbound: Inbound) -> Outcome:
        """Answer `inbound` once, however often the gateway delivers it."""
        created = False
        error = None
        async with self.store.message(inbound.message_id) as log:
            seen = await log.find(inbound.message_id)
            duplicate = seen is not None
            if seen is None:
                local_id, reply = await self._answer(inbound)
                seen = await log.add(inbound.message_id, inbound.received_at, local_id, reply, inbound.sender)
                created = local_id is not None
            if seen.reply_to is not None:
                try:
                    await self.sender.send(seen.reply_to, seen.reply)
                    await log.replied(inbound.message_id)
                except SendError as exc:
                    error = str(exc)
        if created:
            self.on_change()
        tracking = None
        if seen.local_id is not None:
            report = await self.store.get_report(seen.local_id)
            tracking = report.tracking_number if report else None
        return Outcome(seen.reply, tracking, duplicate, error)

    async def resend_waiting(self) -> int:
        """Send the replies the gateway did not take, oldest first, each under its message's lock (a webhook
        retry of the same message waits); stops at the first the gateway still refuses. Returns how many went."""
        sent = 0
        for message_id in await self.store.waiting_replies():
            async with self.store.message(message_id) as log:
                seen = await log.find(message_id)
                if seen is None or seen.reply_to is None:
                    continue  # a webhook retry delivered it meanwhile
                await self.sender.send(seen.reply_to, seen.reply)
                await log.replied(message_id)
                sent += 1
        return sent

    async def _answer(self, inbound: Inbound) -> tuple[str | None, str]:
        """The report the message creates (its local id), if any, and the reply."""
        number = normalise(inbound.sender)
        if number is None:
            return None, self.replies.invalid_number()
        message = parse(inbound.text, self.keywords, self.settings.max_length)
        if isinstance(message, NewReportMessage):
            return await self._report(message, number, inbound.received_at)
        if isinstance(message, StatusQuery):
            report = await self.store.find_by_tracking_number(message.tracking_number)
            if report is None or report.reporter.contact != number:
                return None, self.replies.not_found(message.tracking_number)
            return None, self.replies.status(report)
        if isinstance(message, ReplyMessage):
            return await self._reply(message, number, inbound.message_id)
        if isinstance(message, HelpRequest):
            return None, self.replies.help()
        assert isinstance(message, Unreadable)
        return None, self.replies.problem(message.problem, message.keyword, self.settings.max_length)

    async def _reply(self, message: ReplyMessage, number: str, message_id: str) -> tuple[str | None, str]:
        """The reporter answers the unit's tanggapan: the report opens again, and the hub hears of it in the feed
        (so it is not deemed selesai). The gateway's message id keys the reply: a redelivery records nothing."""
        report = await self.store.find_by_tracking_number(message.tracking_number)
        if report is None or report.reporter.contact != number:
            return None, self.replies.not_found(message.tracking_number)
        if report.status is ReportStatus.FORWARDED:
            return None, self.replies.reply_elsewhere(report.tracking_number)
        if report.status is not ReportStatus.COMPLETED:
            return None, self.replies.reply_early(report)
        await self.store.take_reply(report.local_id, f"sms:{message_id}", message.text)
        return report.local_id, self.replies.reply_taken(report.tracking_number)

    async def _report(self, message: NewReportMessage, number: str, at: datetime) -> tuple[str | None, str]:
        settings = self.settings
        if settings.refuse_outside and message.region.province not in settings.provinces:
            served = sorted(self.keywords.for_province(p) for p in settings.provinces)
            return None, self.replies.outside(message.region, served)
        requester = message.requester
        # A requester's name and address are identity: kept with the reporter, never in the report's text.
        name = f"{requester.name}; alamat: {requester.address}" if requester else None
        try:
            report = await self.store.create_report(NewReport(
                kind=message.kind, title=title_of(message.text), body=message.text,
                category=settings.categories.of(message.text), region_code=message.region.code, channel=Channel.SMS,
                reporter=Reporter(confidential=settings.confidential, name=name, contact=number), received_at=at,
            ), "sms")
        except InvalidInput:
            return None, self.replies.problem(Problem.UNKNOWN_COMMAND, None, settings.max_length)
        return report.local_id, self.replies.received(message.kind, report.tracking_number, message.region)


class ReplyRetries(Background):
    """Every `interval` seconds, the replies the gateway did not take are sent again: a stored report's reply
    reaches its sender without the gateway delivering the message twice."""

    def __init__(self, door: SmsDoor, interval: float) -> None:
        super().__init__()
        self.door = door
        self.interval = interval

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                if sent := await self.door.resend_waiting():
                    log.info("%d SMS replies delivered on retry", sent)
            except SendError as exc:
                log.warning("SMS replies still waiting: %s", exc)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("SMS replies not retried: database unavailable (%s)", exc.__class__.__name__)
