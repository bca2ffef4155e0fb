"""The relational schema of Bastion's store (SQLAlchemy 2, typed), one module per area.

Naming: `*_pk` columns are Bastion's own surrogate keys; `external_id` is the platform's own id,
unique per subject type. Timestamps are stored in UTC. Every table shares `Base.metadata`, which the
migrations compare against; importing this package registers them all.
"""

from bastion.store.schema.access import (
    ApiKey,
    AuditHead,
    AuditPending,
    AuditRecord,
    AuthFailure,
    User,
    WebSession,
)
from bastion.store.schema.base import Base, Document, Key, Moment
from bastion.store.schema.calibration import (
    CalibrationAnswer,
    CalibrationExercise,
    CalibrationItem,
    CalibrationNote,
)
from bastion.store.schema.detect import (
    Bank,
    BankVersion,
    DetectionQueueItem,
    DetectionVerdict,
    EntityLabel,
    RuleHit,
    RuleVersion,
    VelocityCount,
)
from bastion.store.schema.golden import GoldenItem, GoldenSet
from bastion.store.schema.insight import PrevalenceRound, PrevalenceSample, RecommendationAction, SavedQuery, TrendAlert
from bastion.store.schema.investigate import (
    BulkAction,
    Case,
    CaseLink,
    CaseNote,
    CaseReferral,
    CaseTask,
    EvidenceSnapshot,
)
from bastion.store.schema.match import HashBank, HashBankEntry, HashMatch
from bastion.store.schema.models import ModelScore, ModelVersion
from bastion.store.schema.neardup import NearDuplicateCluster, NearDuplicateMember
from bastion.store.schema.qa import QaPlan, QaSample
from bastion.store.schema.ratings import ImportedDecision, Rater
from bastion.store.schema.review import (
    Appeal,
    Decision,
    EnforcementAction,
    Job,
    JobExclusion,
    JobReport,
    ReviewConfig,
    ReviewerPreference,
    Strike,
    WebhookDelivery,
)
from bastion.store.schema.subjects import Actor, ContentItem, Event, PolicyVersion, Report, View

__all__ = [
    "Actor",
    "ApiKey",
    "Appeal",
    "AuditHead",
    "AuditPending",
    "AuditRecord",
    "AuthFailure",
    "Bank",
    "BankVersion",
    "Base",
    "BulkAction",
    "CalibrationAnswer",
    "CalibrationExercise",
    "CalibrationItem",
    "CalibrationNote",
    "Case",
    "CaseLink",
    "CaseNote",
    "CaseReferral",
    "CaseTask",
    "ContentItem",
    "Decision",
    "DetectionQueueItem",
    "DetectionVerdict",
    "Document",
    "EnforcementAction",
    "EntityLabel",
    "Event",
    "EvidenceSnapshot",
    "GoldenItem",
    "GoldenSet",
    "HashBank",
    "HashBankEntry",
    "HashMatch",
    "ImportedDecision",
    "Job",
    "JobExclusion",
    "JobReport",
    "Key",
    "ModelScore",
    "ModelVersion",
    "Moment",
    "NearDuplicateCluster",
    "NearDuplicateMember",
    "PolicyVersion",
    "PrevalenceRound",
    "PrevalenceSample",
    "QaPlan",
    "QaSample",
    "Rater",
    "RecommendationAction",
    "Report",
    "ReviewConfig",
    "ReviewerPreference",
    "RuleHit",
    "RuleVersion",
    "SavedQuery",
    "Strike",
    "TrendAlert",
    "User",
    "VelocityCount",
    "View",
    "WebSession",
    "WebhookDelivery",
]
