"""Claims: self-reported XP held for review, proof, community votes and moderator decisions
(docs/domain.md "Claims")."""

from core.services.claims.review import cast_vote, decide
from core.services.claims.submission import Held, add_proof, create_claim, report_activity, withdraw

__all__ = ["Held", "add_proof", "cast_vote", "create_claim", "decide", "report_activity", "withdraw"]
