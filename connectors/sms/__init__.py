"""The `sms` connector: the SP4N-LAPOR! 1708 channel (`LAPOR<REGION> <text>`) from an SMS gateway webhook."""

from connectors.sms.keywords import KeywordTable, Region
from connectors.sms.store import SmsStore

__all__ = ["KeywordTable", "Region", "SmsStore"]
