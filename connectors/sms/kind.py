"""The SMS 1708 channel as a connector kind: `simpul node sms --config sms.toml`."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

import lokal

from connectors.kinds import BuildContext, Built, ConfigError, optional
from connectors.sms.categories import CategoryError, CategoryWords
from connectors.sms.door import DoorSettings, ReplyRetries, SmsDoor
from connectors.sms.keywords import KeywordError, KeywordTable
from connectors.sms.replies import Replies
from connectors.sms.senders import build_sender
from connectors.sms.store import SmsStore
from connectors.sms.webhook import SmsWebhook, WebhookSettings

OUTSIDE = ("route", "refuse")
KEYS = frozenset({"schema", "category", "confidential", "max_length", "number", "provinces", "outside_region",
                  "reply_retry_seconds", "keywords", "categories", "webhook", "sender"})


def _table(config: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = optional(config, key, {}, dict)
    assert isinstance(value, dict)
    return value


def _provinces(config: Mapping[str, Any], region_code: str) -> frozenset[str]:
    """The provinces this number serves: configured, else the node's own, else (a national node) all."""
    default = [region_code.split(".")[0]] if region_code else list(lokal.PROVINCES)
    provinces = optional(config, "provinces", default, list)
    unknown = [p for p in provinces if p not in lokal.PROVINCES]
    if unknown or not provinces:
        raise ConfigError(f"'provinces' must list province codes such as '65', not {unknown or provinces!r}")
    return frozenset(provinces)


def _webhook(config: Mapping[str, Any]) -> WebhookSettings:
    secret_env = optional(config, "secret_env", "SIMPUL_SMS_SECRET")
    secret = os.environ.get(secret_env)
    if not secret:
        raise ConfigError(f"environment variable {secret_env} (the gateway's shared secret, [webhook] secret_env)"
                          " is not set")
    path = optional(config, "path", "/sms/inbound")
    if not path.startswith("/") or path in ("/graphql", "/healthz"):
        raise ConfigError(f"[webhook] path must start with / and not be a node route, not {path!r}")
    offset = optional(config, "utc_offset_hours", 7, object)
    if isinstance(offset, bool) or not isinstance(offset, int | float) or not -12 <= offset <= 14:
        raise ConfigError(f"[webhook] utc_offset_hours must be a number of hours, not {offset!r}")
    return WebhookSettings(
        path=path, secret_header=optional(config, "secret_header", "X-Gateway-Secret"), secret=secret,
        sender_field=optional(config, "sender_field", "from"), text_field=optional(config, "text_field", "text"),
        message_id_field=optional(config, "message_id_field", "id"),
        received_at_field=optional(config, "received_at_field", None), utc_offset_hours=float(offset),
    )


class SmsKind:
    summary = "the SMS 1708 channel (LAPOR<REGION> text) from an SMS gateway webhook"
    needs_database = True

    def build(self, context: BuildContext) -> Built:
        door = self.build_door(context)
        webhook = _webhook(_table(context.config, "webhook"))
        every = optional(context.config, "reply_retry_seconds", 30, object)
        if isinstance(every, bool) or not isinstance(every, int | float) or not 0 < every <= 3600:
            raise ConfigError(f"'reply_retry_seconds' must be a number of seconds up to 3600, not {every!r}")
        retries = ReplyRetries(door, float(every))
        door.store.on_start.append(retries.start)
        door.store.on_stop.insert(0, retries.stop)
        return Built(door.store, SmsWebhook(door, webhook).routes())

    def build_door(self, context: BuildContext) -> SmsDoor:
        """The door without its webhook: the store, the parser's tables, the reply sender."""
        if context.database_url is None:
            raise ConfigError("the sms connector needs a PostgreSQL")
        config = context.config
        identity = context.identity
        unknown = sorted(set(config) - KEYS)
        if unknown:
            raise ConfigError(f"the sms config has unknown keys: {', '.join(unknown)};"
                              f" it takes {', '.join(sorted(KEYS))}")
        try:
            keywords = KeywordTable({str(k): str(v) for k, v in _table(config, "keywords").items()})
        except (KeywordError, ValueError) as exc:
            raise ConfigError(f"[keywords]: {exc}") from None
        max_length = optional(config, "max_length", 1000, int)
        if not 10 <= max_length <= 20000:
            raise ConfigError(f"'max_length' must be between 10 and 20000, not {max_length}")
        outside = optional(config, "outside_region", "route")
        if outside not in OUTSIDE:
            raise ConfigError(f"'outside_region' must be 'route' or 'refuse', not {outside!r}")
        category = optional(config, "category", "umum")
        if not category.strip() or len(category) > 100:
            raise ConfigError("'category' must be 1 to 100 characters")
        try:
            categories = CategoryWords({str(k): str(v) for k, v in _table(config, "categories").items()},
                                       category.strip())
        except CategoryError as exc:
            raise ConfigError(f"[categories]: {exc}") from None
        provinces = _provinces(config, identity.region_code)
        settings = DoorSettings(categories=categories, confidential=optional(config, "confidential", True, bool),
                                max_length=max_length, provinces=provinces, refuse_outside=outside == "refuse")
        sender = build_sender(_table(config, "sender"))
        schema = optional(config, "schema", "sms_" + re.sub(r"[^a-z0-9]", "_", identity.code))
        store = SmsStore(identity, context.database_url, schema)
        store.on_stop.append(sender.close)
        example = keywords.for_province(min(provinces))
        replies = Replies(keywords, optional(config, "number", "1708"), example)
        return SmsDoor(store, sender, keywords, replies, settings, context.on_change)


KIND = SmsKind()
