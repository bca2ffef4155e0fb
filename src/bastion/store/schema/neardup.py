"""Near-duplicate clusters: each text item's MinHash signature and the cluster it joined, and the clusters
of two or more members.

Every content item detection sees gets a membership row (written in the detection batch's transaction).
A cluster's key is its representative's content key: the first item of the cluster, which is the whole
cluster until a near-duplicate joins it. Only clusters of two or more members have a row in
`near_duplicate_clusters`; a singleton's cluster is the item itself. The signature is kept so that the
in-memory LSH can be rebuilt from the store alone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from bastion.store.schema.base import Base, Key


class NearDuplicateCluster(Base):
    """A cluster of near-duplicate texts with at least two members. `size`, `last_seen` and `peak_1h` are kept
    up to date by the batches that add members; `bastion clusters recount` recomputes them from the memberships."""

    __tablename__ = "near_duplicate_clusters"
    __table_args__ = (Index("ix_near_duplicate_clusters_size", "size"),)

    # The representative's content key (the cluster's first member).
    pk: Mapped[int] = mapped_column(ForeignKey("content_items.pk"), primary_key=True, autoincrement=False)
    first_seen: Mapped[datetime]  # when the representative was posted
    last_seen: Mapped[datetime] = mapped_column(index=True)  # when the newest member was posted
    size: Mapped[int] = mapped_column(Integer)
    peak_1h: Mapped[int] = mapped_column(Integer)  # the most members posted within one hour


class NearDuplicateMember(Base):
    """One content item's place among the near-duplicates: its cluster (itself when it has none), how
    similar it is to the cluster's representative, when it joined, and its MinHash signature (None for
    text too short to compare)."""

    __tablename__ = "near_duplicate_members"
    __table_args__ = (Index("ix_near_duplicate_members_cluster", "cluster_pk", "joined_at"),)

    # Written in the order batches commit; readers catch up on what other workers added by this key.
    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    content_pk: Mapped[int] = mapped_column(ForeignKey("content_items.pk"), unique=True)
    cluster_pk: Mapped[int] = mapped_column(ForeignKey("content_items.pk"))  # the representative's content key
    similarity: Mapped[float] = mapped_column(Float)  # estimated Jaccard similarity to the representative
    joined_at: Mapped[datetime]  # when the item was posted
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)  # the MinHash values, little-endian uint32
