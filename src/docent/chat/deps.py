"""What the stream and the finalization need from the chat's surroundings, as one typed object.

The service builds it once; :mod:`docent.chat.stream` and :mod:`docent.chat.outcome` receive it
instead of the service, so neither knows the command path exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from docent.chat.answer_cache import AnswerCache
from docent.chat.finalize import Finalizer
from docent.chat.registry import Streams
from docent.settings import Settings
from docent.store.audit import AuditLog
from docent.store.chat import ChatStore

if TYPE_CHECKING:
    from docent.retrieve import Retriever
    from docent.review.feedback import FeedbackStore
    from docent.review.queue import ReviewQueue


@dataclass(frozen=True)
class ChatDeps:
    settings: Settings
    store: ChatStore
    retriever: Any  # a Retriever, or a LiveRetriever whose .current() is the live one
    embed_documents: Callable[[list[str]], np.ndarray]
    doc_hashes: Callable[[list[str]], dict[str, str]]  # content hash of each cited document still indexed
    finalizer: Finalizer
    streams: Streams
    owner: str  # this process ("host:pid:nonce"), recorded on the answers it streams
    audit: AuditLog  # refusals (another person's id) are recorded there
    answer_cache: AnswerCache | None = None
    review_queue: ReviewQueue | None = None  # answers the review policy picks go there
    feedback: FeedbackStore | None = None  # askers' votes
    readers: Callable[[str], Retriever] | None = None  # a built index version's retriever, by id or prefix

    def reader(self, version: str | None = None) -> Retriever:
        """The retriever of index ``version`` (a ValueError saying why when it cannot answer), else the one
        answering now: the live version when it can change."""
        if version is not None:
            if self.readers is None:
                raise ValueError("this chat answers from one index only: ask without an index version")
            return self.readers(version)
        return self.retriever.current() if hasattr(self.retriever, "current") else self.retriever
