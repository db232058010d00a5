"""The facade: one ``Shop`` owns one database; services hang off it."""
from __future__ import annotations

from functools import cached_property
from pathlib import Path

from engine.store.database import Database
from engine.store.journal import Journal
from engine.store.paths import default_db_path
from engine.store.settings import Settings


class Shop:
    """Everything the GUI and the command line do goes through a Shop.

    >>> shop = Shop(":memory:")
    """

    def __init__(self, path: Path | str | None = None, *, single_instance: bool = False):
        """``single_instance``: refuse (AlreadyOpenError) when another program that
        asked the same holds this database — the GUI and the command line do."""
        if path is None:
            path = default_db_path()
        memory = str(path) == ":memory:"
        self._instance_lock = None
        if single_instance and not memory:
            from engine.store.instance_lock import InstanceLock
            self._instance_lock = InstanceLock(Path(path))
            self._instance_lock.acquire()
        try:
            self.db = Database(None if memory else Path(path), memory=memory)
        except BaseException:
            self._release_lock()
            raise
        self.path = self.db.path
        self.journal = Journal(self.db)
        self.settings = Settings(self.db)

    @cached_property
    def formats(self):
        from engine.imports.formats import FormatRegistry
        return FormatRegistry(self.settings)

    @cached_property
    def imports(self):
        from engine.imports.service import ImportService
        return ImportService(self)

    @cached_property
    def backups(self):
        from engine.store.backups import BackupService
        return BackupService(self)

    @cached_property
    def privacy(self):
        from engine.customers.privacy import PrivacyService
        return PrivacyService(self)

    @cached_property
    def customers(self):
        from engine.customers.service import CustomerService
        return CustomerService(self)

    @cached_property
    def surveys(self):
        from engine.research.surveys import SurveyService
        return SurveyService(self)

    @cached_property
    def journeys(self):
        from engine.research.journeys import JourneyService
        return JourneyService(self)

    @cached_property
    def segments(self):
        from engine.analysis.segments import SegmentService
        return SegmentService(self)

    @cached_property
    def products(self):
        from engine.marketing.products import ProductService
        return ProductService(self)

    @cached_property
    def followups(self):
        from engine.marketing.followups import FollowupService
        return FollowupService(self)

    @cached_property
    def touches(self):
        from engine.customers.touches import TouchLog
        return TouchLog(self)

    @cached_property
    def analysis(self):
        from engine.analysis.service import AnalysisService
        return AnalysisService(self)

    @cached_property
    def printing(self):
        from engine.printing.service import PrintingService
        return PrintingService(self)

    @cached_property
    def count_program(self):
        from engine.marketing.count_program import CountProgramService
        return CountProgramService(self)

    def close(self) -> None:
        self.db.close()
        self._release_lock()

    def _release_lock(self) -> None:
        if self._instance_lock is not None:
            self._instance_lock.release()

    def __enter__(self) -> "Shop":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
