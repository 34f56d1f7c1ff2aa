"""All ORM models, one module per aggregate; import from here."""

from scrapeflow.models.api_key import ApiKey
from scrapeflow.models.audit import AuditLog
from scrapeflow.models.billing import BillingEvent, Payment, Subscription, UsageCounter
from scrapeflow.models.bot import Bot, BotSecret, BotVersion
from scrapeflow.models.execution import (
    Execution,
    ExecutionLog,
    ExecutionStage,
    ExecutionStatus,
    ExecutionTrigger,
    Page,
    PageStatus,
)
from scrapeflow.models.export import Delivery, DeliveryStatus, DestinationType, ExportDestination
from scrapeflow.models.llm_memory import LearnedSelectorSet, LlmAnswer
from scrapeflow.models.organization import Invitation, Membership, Organization, Role
from scrapeflow.models.politeness import DomainPacing, DomainSlot
from scrapeflow.models.result_row import ChangeStatus, ResultRow, ReviewStatus
from scrapeflow.models.schedule import Schedule
from scrapeflow.models.user import OAuthAccount, RefreshToken, User

__all__ = [
    "ApiKey",
    "AuditLog",
    "BillingEvent",
    "Bot",
    "BotSecret",
    "BotVersion",
    "ChangeStatus",
    "Delivery",
    "DeliveryStatus",
    "DestinationType",
    "DomainPacing",
    "DomainSlot",
    "Execution",
    "ExecutionLog",
    "ExecutionStage",
    "ExecutionStatus",
    "ExecutionTrigger",
    "ExportDestination",
    "Invitation",
    "LearnedSelectorSet",
    "LlmAnswer",
    "Membership",
    "OAuthAccount",
    "Organization",
    "Page",
    "PageStatus",
    "Payment",
    "RefreshToken",
    "ResultRow",
    "ReviewStatus",
    "Role",
    "Schedule",
    "Subscription",
    "UsageCounter",
    "User",
]
