"""The schema registry: every feature's models, so the metadata (and Alembic) sees the
whole schema. Wiring, not core: nothing in a feature imports this module.

Tables for capabilities not built yet are kept so the one migration history serves them
when they land: learning
(global_learning, user_preferences: learning issue; learning_events is written by
feedback today), nightly (nightly_schedules, nightly_runs), billing (cost_ledger:
providers issue) and analytics (analytics_snapshots)."""

from designer_bff.analytics.models import AnalyticsSnapshot
from designer_bff.auth.models import AuthEvent, RefreshSession, RefreshToken, User
from designer_bff.billing.models import CostEntry
from designer_bff.collections.models import Collection, CollectionImage
from designer_bff.commands.models import VoiceCommand
from designer_bff.db.base import Base
from designer_bff.designs.models import Image
from designer_bff.gallery.models import ImageFeedback
from designer_bff.generation.models import GenerationJob
from designer_bff.learning.models import GlobalLearning, LearningEvent, UserPreference
from designer_bff.nightly.models import NightlyRun, NightlySchedule
from designer_bff.styles.models import (
    AnalysisJob,
    StyleProfile,
    StyleProfileVersion,
    VltSpecification,
)

__all__ = [
    "AnalysisJob",
    "AnalyticsSnapshot",
    "AuthEvent",
    "Base",
    "Collection",
    "CollectionImage",
    "CostEntry",
    "GenerationJob",
    "GlobalLearning",
    "Image",
    "ImageFeedback",
    "LearningEvent",
    "NightlyRun",
    "NightlySchedule",
    "RefreshSession",
    "RefreshToken",
    "StyleProfile",
    "StyleProfileVersion",
    "User",
    "UserPreference",
    "VltSpecification",
    "VoiceCommand",
]
