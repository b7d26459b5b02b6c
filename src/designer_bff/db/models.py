"""Imports every feature's models so the metadata (and Alembic) sees the whole schema."""

from designer_bff.analytics.models import AnalyticsSnapshot
from designer_bff.auth.models import AuthEvent, RefreshSession, RefreshToken, User
from designer_bff.billing.models import CostEntry
from designer_bff.commands.models import VoiceCommand
from designer_bff.db.base import Base
from designer_bff.gallery.models import Collection, CollectionImage, Image, ImageFeedback
from designer_bff.generation.models import GenerationJob
from designer_bff.learning.models import GlobalLearning, LearningEvent, UserPreference
from designer_bff.nightly.models import NightlyRun, NightlySchedule
from designer_bff.styles.models import StyleProfile, VltSpecification

__all__ = [
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
    "User",
    "UserPreference",
    "VltSpecification",
    "VoiceCommand",
]
