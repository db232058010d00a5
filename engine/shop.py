"""The facade: one ``Shop`` owns one database; services hang off it."""
from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from engine.store.backups import refuse_lost_database
from engine.store.database import Database
from engine.store.journal import Journal
from engine.store.paths import default_db_path
from engine.store.postgres import is_url
from engine.store import server_lock
from engine.store.redaction import ErasureLedger
from engine.store.settings import Settings

if TYPE_CHECKING:
    from engine.analysis.segments import SegmentService
    from engine.analysis.service import AnalysisService
    from engine.customers.consent import ConsentService
    from engine.customers.privacy import PrivacyService
    from engine.customers.service import CustomerService
    from engine.customers.touches import TouchLog
    from engine.imports.registry import FormatRegistry
    from engine.imports.service import ImportService
    from engine.marketing.count_program import CountProgramService
    from engine.marketing.effects import EffectService
    from engine.marketing.followups import FollowupService
    from engine.marketing.mail import MailService
    from engine.marketing.products import ProductService
    from engine.printing.service import PrintingService
    from engine.research.journeys import JourneyService
    from engine.research.surveys import SurveyService
    from engine.store.backups import BackupService
    from engine.store.instance_lock import InstanceLock


class Shop:
    """Everything the GUI and the command line do goes through a Shop.

    >>> shop = Shop(":memory:")

    Services are created on first use, so a command that only imports never
    loads the printing or survey code. Every service works on ``db``; changes
    that can be undone are recorded by ``journal``.
    """

    db: Database   # or PostgresDatabase, which offers the same
    path: Path | None
    journal: Journal
    settings: Settings

    def __init__(self, path: Path | str | None = None, *, single_instance: bool = False,
                 check: str = "always", staff: str | None = None):
        """``path``: the database file (created if missing; ``":memory:"`` for a shop
        that is not saved), default the user data folder's otokui.db; or the URL
        of a shop on a PostgreSQL server (``postgresql://user@host:port/db``, its
        schema created in an empty database; see engine/store/pg_database.py).
        ``single_instance``: refuse (AlreadyOpenError) when another program that
        asked the same holds this database — the GUI and the command line do.
        ``check``: when SQLite's check of the whole file runs (see ``Database``).
        ``staff``: who works at this desktop, named on what they do (on a server
        the other desktops see it); default the computer's user and name."""
        if path is None:
            path = default_db_path()
        self._instance_lock: InstanceLock | None = None
        if is_url(str(path)):
            from engine.store.pg_database import PostgresDatabase
            self.db = PostgresDatabase(str(path), staff)
        else:
            self.db = self._open_file(path, single_instance, check)
        self.path = self.db.path
        self.staff = staff.strip() if staff and staff.strip() else server_lock.staff_name()
        self.journal = Journal(self.db)
        self.settings = Settings(self.db)
        if self.path is not None:
            self._complete_erasures()

    @property
    def staff(self) -> str:
        """Who works at this desktop: named on touches, check-offs, notes and
        operations (kept on the database, which names it on each operation)."""
        return self.db.staff

    @staff.setter
    def staff(self, name: str) -> None:
        self.db.staff = name

    def _open_file(self, path: Path | str, single_instance: bool, check: str) -> Database:
        memory = str(path) == ":memory:"
        if single_instance and not memory:
            from engine.store.instance_lock import InstanceLock
            self._instance_lock = InstanceLock(Path(path))
            self._instance_lock.acquire()
        try:
            if not memory:
                refuse_lost_database(Path(path))
            return Database(None if memory else Path(path), memory=memory, check=check)
        except BaseException:
            self._release_lock()
            raise

    # -- store ------------------------------------------------------------------

    @cached_property
    def backups(self) -> BackupService:
        """Backups of the database file: create, list, restore, rotation; of a shop
        on a PostgreSQL server, the same kept on this PC (ServerBackups)."""
        url = getattr(self.db, "url", None)
        if url is not None:
            from engine.store.server_backups import ServerBackups
            return ServerBackups(url, staff=self.staff)
        from engine.store.backups import BackupService
        return BackupService(self)

    # -- imports ----------------------------------------------------------------

    @cached_property
    def formats(self) -> FormatRegistry:
        """The import format presets and the shop's saved column mappings."""
        from engine.imports.registry import FormatRegistry
        return FormatRegistry(self.settings)

    @cached_property
    def imports(self) -> ImportService:
        """Importing export files (all or nothing), the import history and its undo."""
        from engine.imports.service import ImportService
        return ImportService(self)

    # -- analysis ---------------------------------------------------------------

    @cached_property
    def segments(self) -> SegmentService:
        """Per-customer RFM figures with the shop's TOP percentages, clusters and
        their summary: the one owner of who is in which cluster."""
        from engine.analysis.segments import SegmentService
        return SegmentService(self)

    @cached_property
    def analysis(self) -> AnalysisService:
        """KPIs, monthly sales, the sales decomposition, cohorts and entry products."""
        from engine.analysis.service import AnalysisService
        return AnalysisService(self)

    # -- customers --------------------------------------------------------------

    @cached_property
    def customers(self) -> CustomerService:
        """The customer list, search, one customer's detail and hand edits
        (notes, DM permission, 配信停止, merge, split)."""
        from engine.customers.service import CustomerService
        return CustomerService(self)

    @cached_property
    def touches(self) -> TouchLog:
        """The contact log: every follow-up, DM and insert that reached a customer."""
        from engine.customers.touches import TouchLog
        return TouchLog(self)

    @cached_property
    def consent(self) -> ConsentService:
        """The consent ledger: who agreed to (or refused) e-mail, DM and calls, when,
        and where that came from."""
        from engine.customers.consent import ConsentService
        return ConsentService(self)

    @cached_property
    def privacy(self) -> PrivacyService:
        """Erasing a customer's personal data on request, and the retention purge."""
        from engine.customers.privacy import PrivacyService
        return PrivacyService(self)

    # -- marketing --------------------------------------------------------------

    @cached_property
    def products(self) -> ProductService:
        """Products with their usage cycles, and who is due to buy again."""
        from engine.marketing.products import ProductService
        return ProductService(self)

    @cached_property
    def followups(self) -> FollowupService:
        """Follow-up rules, each month's 3-3-2 plan, check-off and the TOP1% list."""
        from engine.marketing.followups import FollowupService
        return FollowupService(self)

    @cached_property
    def mail(self) -> MailService:
        """Follow-up e-mail: server settings, templates, preview, sending, lists."""
        from engine.marketing.mail import MailService
        return MailService(self)

    @cached_property
    def effects(self) -> EffectService:
        """Did it work? Each plan against its comparison group (効果検証)."""
        from engine.marketing.effects import EffectService
        return EffectService(self)

    @cached_property
    def count_program(self) -> CountProgramService:
        """回数フォロー: the insert for each purchase number and the insert plan."""
        from engine.marketing.count_program import CountProgramService
        return CountProgramService(self)

    # -- research ---------------------------------------------------------------

    @cached_property
    def surveys(self) -> SurveyService:
        """Surveys, their answers and results by cluster."""
        from engine.research.surveys import SurveyService
        return SurveyService(self)

    @cached_property
    def journeys(self) -> JourneyService:
        """Customer journey maps (stages × rows of notes)."""
        from engine.research.journeys import JourneyService
        return JourneyService(self)

    # -- printing ---------------------------------------------------------------

    @cached_property
    def printing(self) -> PrintingService:
        """DM labels, insert lists and target lists laid out as pages in mm."""
        from engine.printing.service import PrintingService
        return PrintingService(self)

    # -- lifetime ---------------------------------------------------------------

    def _complete_erasures(self) -> None:
        """Erasures in the ledger that this file still shows (it was restored from a
        copy, or the program stopped between the ledger and the commit) are applied."""
        ledger = ErasureLedger(self.path)
        if ledger.path.exists():
            with self.db.transaction() as conn:
                ledger.reapply(conn)

    def close(self) -> None:
        self.db.close()
        self._release_lock()

    def _release_lock(self) -> None:
        if self._instance_lock is not None:
            self._instance_lock.release()

    def __enter__(self) -> Shop:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
